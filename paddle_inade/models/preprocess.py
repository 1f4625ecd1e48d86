"""From a data batch to network inputs, as the original's ``preprocess_input``."""
from __future__ import annotations

from typing import Mapping

import paddle
import paddle.nn.functional as F

from ..config import INADEConfig


def one_hot_map(index_map: paddle.Tensor, num_classes: int, name: str) -> paddle.Tensor:
    """[N, 1, H, W] integer map -> [N, num_classes, H, W] float32 one-hot."""
    index_map = index_map.astype("int64")
    if index_map.ndim != 4 or index_map.shape[1] != 1:
        raise ValueError(f"{name} must be [N, 1, H, W], got {list(index_map.shape)}")
    lo, hi = int(index_map.min()), int(index_map.max())
    if lo < 0 or hi >= num_classes:
        raise ValueError(f"{name} values must be in [0, {num_classes - 1}], got [{lo}, {hi}]")
    return F.one_hot(index_map[:, 0], num_classes).transpose([0, 3, 1, 2]).astype("float32")


def instance_edges(inst: paddle.Tensor) -> paddle.Tensor:
    """[N, 1, H, W] ids -> [N, 1, H, W] float: 1 where a 4-neighbour has another id."""
    dx = (inst[:, :, :, 1:] != inst[:, :, :, :-1]).astype("float32")
    dy = (inst[:, :, 1:, :] != inst[:, :, :-1, :]).astype("float32")
    edge = F.pad(dx, [1, 0, 0, 0]) + F.pad(dx, [0, 1, 0, 0])
    edge = edge + F.pad(dy, [0, 0, 1, 0]) + F.pad(dy, [0, 0, 0, 1])
    return (edge > 0).astype("float32")


def preprocess_input(data: Mapping[str, paddle.Tensor], cfg: INADEConfig):
    """Return (input_semantics, image, input_instances, sketch).

    Args:
        data: ``label`` [N, 1, H, W] int (dontcare already ``label_nc``), ``instance``
            [N, 1, H, W] int ids 0..K-1, ``image`` [N, 3, H, W], optional ``sketch`` [N, 1, H, W].
        cfg: the model options.
    Returns:
        input_semantics [N, semantic_nc, H, W] (one-hot labels, then the instance edge map
        unless ``no_instance``), the image, input_instances [N, K, H, W] one-hot with
        K = max id + 1 (inade; None for spade), and the sketch (or None).
    """
    label = paddle.to_tensor(data["label"])
    semantics = one_hot_map(label, cfg.label_channels, "label")
    instance = data.get("instance")
    if instance is not None:
        instance = paddle.to_tensor(instance).astype("int64")
        if list(instance.shape) != list(label.shape):
            raise ValueError(f"instance map {list(instance.shape)} must have the label map's shape "
                             f"{list(label.shape)}")
    if not cfg.no_instance:
        if instance is None:
            raise ValueError("data has no 'instance' map and no_instance is False")
        semantics = paddle.concat([semantics, instance_edges(instance)], axis=1)
    instances = None
    if cfg.is_inade:
        instances = one_hot_map(instance, int(instance.max()) + 1, "instance")
    image = data.get("image")
    sketch = data.get("sketch")
    return (semantics, None if image is None else paddle.to_tensor(image),
            instances, None if sketch is None else paddle.to_tensor(sketch))
