"""From a data batch to network inputs, as the original's ``preprocess_input``."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import paddle
import paddle.nn.functional as F

from ..config import INADEConfig


def _shape(a) -> list[int]:
    return list(a.shape) if isinstance(a, paddle.Tensor) else list(np.shape(a))


def value_ranges(maps: Sequence) -> list[tuple[int, int]]:
    """(min, max) of each integer map (numpy arrays or tensors), as ints.

    numpy arrays are read where they are; the tensors' extremes are copied to the host together
    (one wait for the device for all of them)."""
    ranges: list = [None] * len(maps)
    tensors = [i for i, a in enumerate(maps) if isinstance(a, paddle.Tensor)]
    for i, a in enumerate(maps):
        if i not in tensors:
            a = np.asarray(a).astype(np.int64)
            ranges[i] = (int(a.min()), int(a.max()))
    if tensors:
        ints = [maps[i].astype("int64") for i in tensors]
        extremes = paddle.stack([v for t in ints for v in (t.min(), t.max())]).numpy()
        for j, i in enumerate(tensors):
            ranges[i] = (int(extremes[2 * j]), int(extremes[2 * j + 1]))
    return ranges


def one_hot_map(index_map, num_classes: int, name: str,
                value_range: tuple[int, int] | None = None) -> paddle.Tensor:
    """[N, 1, H, W] integer map (array or tensor) -> [N, num_classes, H, W] float32 one-hot.

    ``value_range``: the map's (min, max) if known (else found by :func:`value_ranges`)."""
    if len(_shape(index_map)) != 4 or _shape(index_map)[1] != 1:
        raise ValueError(f"{name} must be [N, 1, H, W], got {_shape(index_map)}")
    lo, hi = value_range if value_range is not None else value_ranges([index_map])[0]
    if lo < 0 or hi >= num_classes:
        raise ValueError(f"{name} values must be in [0, {num_classes - 1}], got [{lo}, {hi}]")
    if not isinstance(index_map, paddle.Tensor):
        index_map = paddle.to_tensor(index_map)
    index_map = index_map.astype("int64")
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

    The value checks read numpy inputs on the host and copy the extremes of all tensor inputs
    in one go (:func:`value_ranges`).

    Args:
        data: ``label`` [N, 1, H, W] int (dontcare already ``label_nc``), ``instance``
            [N, 1, H, W] int ids 0..K-1, ``image`` [N, 3, H, W], optional ``sketch`` [N, 1, H, W].
        cfg: the model options.
    Returns:
        input_semantics [N, semantic_nc, H, W] (one-hot labels, then the instance edge map
        unless ``no_instance``), the image, input_instances [N, K, H, W] one-hot with
        K = max id + 1 (inade; None for spade), and the sketch (or None).
    """
    label, instance = data["label"], data.get("instance")
    maps = [label] if instance is None else [label, instance]
    ranges = value_ranges(maps)  # before anything moves to the device: no wait on a GPU
    semantics = one_hot_map(paddle.to_tensor(label), cfg.label_channels, "label", ranges[0])
    if instance is not None and _shape(instance) != _shape(label):
        raise ValueError(f"instance map {_shape(instance)} must have the label map's shape "
                         f"{_shape(label)}")
    if instance is not None:
        instance = paddle.to_tensor(instance).astype("int64")
    if not cfg.no_instance:
        if instance is None:
            raise ValueError("data has no 'instance' map and no_instance is False")
        semantics = paddle.concat([semantics, instance_edges(instance)], axis=1)
    instances = None
    if cfg.is_inade:
        if instance is None:
            raise ValueError("norm_mode inade needs an 'instance' map")
        instances = one_hot_map(instance, ranges[1][1] + 1, "instance", ranges[1])
    image = data.get("image")
    sketch = data.get("sketch")
    return (semantics, None if image is None else paddle.to_tensor(image),
            instances, None if sketch is None else paddle.to_tensor(sketch))
