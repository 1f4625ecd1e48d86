"""Layouts and reference photos for the interactive demo: from files or a dataset, checked
against the model and brought to its size, with a note for everything that was changed.

Every problem is a ValueError whose message names the file, what was expected and what to
do; the readers write nothing.
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np

from ..config import INADEConfig
from ..data.image_io import read_image, read_label_map, read_photo
from ..data.instances import decode_instance_ids
from ..data.transforms import resize


# --------------------------------------------------------------------------- checks
def check_classes(label: np.ndarray, cfg: INADEConfig, name: str) -> None:
    """Every class id must be one the model knows (0..label_channels-1)."""
    bad = np.unique(label[(label < 0) | (label >= cfg.label_channels)])
    if bad.size:
        dontcare = " (255 = dontcare needs a model with contain_dontcare_label)" if 255 in bad else ""
        raise ValueError(f"{name}: class{'es' * (bad.size > 1)} {bad[:8].tolist()} beyond the model's "
                         f"{cfg.label_channels} classes (0..{cfg.label_channels - 1}){dontcare}: use a label "
                         "map of this model's dataset")


def _size_text(shape) -> str:
    return f"{shape[1]}x{shape[0]}"


def fit_layout(label: np.ndarray, instance: np.ndarray, cfg: INADEConfig, name: str = "layout"):
    """(label, instance, notes): int64 [H, W] maps of the model's size.

    The two maps must have one size; another size than the model's is resized (nearest)
    and said in ``notes``. Raises ValueError for classes the model does not know.
    """
    label, instance = np.asarray(label), np.asarray(instance)
    if label.ndim != 2 or instance.ndim != 2:
        raise ValueError(f"{name}: label and instance maps must be [H, W], got {label.shape} and {instance.shape}")
    if label.shape != instance.shape:
        raise ValueError(f"{name}: the instance map is {_size_text(instance.shape)} but the label map is "
                         f"{_size_text(label.shape)} (WxH); both must come from one image")
    check_classes(label, cfg, name)
    height, width = cfg.image_size
    notes = []
    if label.shape != (height, width):
        notes.append(f"{name} {_size_text(label.shape)} resized to the model's {width}x{height} (nearest)")
        label = resize(label.astype(np.int32), width, height, nearest=True)
        instance = resize(instance.astype(np.int32), width, height, nearest=True)
    return label.astype(np.int64), instance.astype(np.int64), notes


def fit_reference(photo: np.ndarray, instance: Optional[np.ndarray], cfg: INADEConfig,
                  name: str = "reference"):
    """(photo uint8 [H, W, 3], instance int64 [H, W], notes) at the model's size.

    Without an instance map the whole photo is one instance. A photo or map of another size
    is resized (area/bicubic for the photo, nearest for the map) and said in ``notes``.
    """
    height, width = cfg.image_size
    notes = []
    photo = np.asarray(photo)
    if photo.ndim != 3 or photo.shape[2] != 3 or photo.dtype != np.uint8:
        raise ValueError(f"{name}: the photo must be an RGB uint8 [H, W, 3] image, got {photo.shape} {photo.dtype}")
    if photo.shape[:2] != (height, width):
        notes.append(f"{name} photo {_size_text(photo.shape)} resized to the model's {width}x{height}")
        photo = resize(photo, width, height, nearest=False)
    if instance is None:
        notes.append(f"{name}: no instance map, the whole photo is one instance")
        instance = np.zeros((height, width), np.int64)
    instance = np.asarray(instance)
    if instance.shape != (height, width):
        notes.append(f"{name} instance map {_size_text(instance.shape)} resized to {width}x{height} (nearest)")
        instance = resize(instance.astype(np.int32), width, height, nearest=True)
    return np.ascontiguousarray(photo), instance.astype(np.int64), notes


# --------------------------------------------------------------------------- files
def read_layout_files(label_path: str, instance_path: Optional[str], cfg: INADEConfig, name: str = "layout"):
    """(label, instance, notes) from a label PNG (class ids; 255 = dontcare with
    contain_dontcare_label) and an instance PNG (any id encoding the datasets use). Without
    an instance map every class region is one instance (said in ``notes``)."""
    label = read_label_map(label_path).astype(np.int64)
    if cfg.contain_dontcare_label:
        label[label == 255] = cfg.label_nc
    label_name = os.path.basename(label_path)
    if instance_path is None:
        instance, notes = label.copy(), [f"{label_name}: no instance map, each class region is one instance"]
    else:
        instance = decode_instance_ids(read_image(instance_path), instance_path).astype(np.int64)
        notes = []
        if instance.shape != label.shape:
            raise ValueError(f"{os.path.basename(instance_path)} is {_size_text(instance.shape)} but "
                             f"{label_name} is {_size_text(label.shape)} (WxH): the instance map must have the "
                             "label map's size")
    label, instance, more = fit_layout(label, instance, cfg, label_name)
    return label, instance, notes + more


def read_reference_files(photo_path: str, instance_path: Optional[str], cfg: INADEConfig):
    """(photo, instance, notes) at the model's size from a photo file and optionally its
    instance PNG."""
    photo = read_photo(photo_path)
    instance = None
    if instance_path is not None:
        instance = decode_instance_ids(read_image(instance_path), instance_path)
        if instance.shape != photo.shape[:2]:
            raise ValueError(f"{os.path.basename(instance_path)} is {_size_text(instance.shape)} but "
                             f"{os.path.basename(photo_path)} is {_size_text(photo.shape)} (WxH): the "
                             "instance map must have the photo's size")
    return fit_reference(photo, instance, cfg, os.path.basename(photo_path))


# --------------------------------------------------------------------------- dataset scenes
class Scenes:
    """Layouts (label, instance, photo) of a dataset split, read lazily.

    Args:
        data_cfg: the data options (:class:`~paddle_inade.data.DataConfig`), e.g. the validation
            split as the inference tools read it (``paddle_inade.cli.data_values``).
    """

    def __init__(self, data_cfg):
        from ..data import create_dataset
        self.dataset = create_dataset(data_cfg)

    def __len__(self) -> int:
        return len(self.dataset)

    def name(self, index: int) -> str:
        return os.path.basename(self.dataset.items[index][0])

    def __getitem__(self, index: int):
        """(label int64 [H, W], instance int64 [H, W], photo uint8 [H, W, 3])."""
        sample = self.dataset[index]
        photo = np.clip((sample["image"].transpose(1, 2, 0) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
        return sample["label"][0], sample["instance"][0], photo
