"""DataConfig: the dataset options, with the original's names, defaults and per-dataset defaults.

``DataConfig()`` has the original's base defaults (``base_options.py``);
``DataConfig.for_dataset(mode, phase, **overrides)`` applies what the original's dataset
class sets for ``--dataset_mode mode`` (e.g. ade20k: resize_and_crop, load 286 when
training / 256 otherwise, crop 256, 150 classes + dontcare), then ``overrides``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Optional

PREPROCESS_MODES = ("resize_and_crop", "crop", "scale_width", "scale_width_and_crop",
                    "scale_shortside", "scale_shortside_and_crop", "fixed", "none")
DATASET_MODES = ("ade20k", "cityscapes", "coco", "celeba", "deepfashion", "custom", "toy")
PHASES = ("train", "val", "test")


def _resize_crop(train: bool, label_nc: int, dontcare: bool) -> dict:
    """The 286 -> 256 (train) / 256 (test) resize_and_crop that most layouts use."""
    return dict(preprocess_mode="resize_and_crop", load_size=286 if train else 256, crop_size=256,
                label_nc=label_nc, contain_dontcare_label=dontcare)


def dataset_defaults(mode: str, is_train: bool = True) -> dict[str, Any]:
    """The options the original's ``<mode>_dataset.py`` (or SPADE's, for coco) sets: data options and
    the model options ``noise_nc`` (deepfashion) and ``num_upsampling_layers`` (cityscapes)."""
    if mode not in DATASET_MODES:
        raise ValueError(f"dataset_mode {mode!r} is not one of {list(DATASET_MODES)}")
    return {
        "ade20k": {**_resize_crop(is_train, 150, True), "dataroot": "./datasets/ADEChallengeData2016/"},
        "coco": {**_resize_crop(is_train, 182, True), "dataroot": "./datasets/coco_stuff/"},
        "celeba": {**_resize_crop(is_train, 19, False), "dataroot": "./datasets/CelebA-HQ/"},
        "custom": _resize_crop(is_train, 13, False),
        "cityscapes": dict(preprocess_mode="fixed", load_size=512, crop_size=512, aspect_ratio=2.0,
                           label_nc=35, dataroot="./datasets/cityscapes/", num_upsampling_layers="more"),
        "deepfashion": dict(preprocess_mode="resize_and_crop", load_size=256, crop_size=256, label_nc=8,
                            dataroot="./datasets/DeepFashion/", noise_nc=8),
        "toy": dict(preprocess_mode="fixed", load_size=64, crop_size=64, label_nc=6, dataroot=""),
    }[mode]


def defaults_for(cls, mode: str, is_train: bool = True) -> dict[str, Any]:
    """What ``--dataset_mode mode`` sets among the fields of the option dataclass ``cls`` (the one
    place every tool takes a dataset's defaults from: training, testing, GroupDNet's test)."""
    return {k: v for k, v in dataset_defaults(mode, is_train).items() if k in cls.__dataclass_fields__}


@dataclass
class DataConfig:
    """Where the data is and how each sample is resized, cropped and flipped.

    Names and defaults are the original's. ``phase`` chooses the split ('train'; 'test'
    or 'val' read the validation/test split of layouts that have one); ``is_train``
    enables random flipping (unless ``no_flip``), as the original's ``isTrain``.
    ``max_dataset_size`` None means all. ``label_dir``/``image_dir``/``instance_dir``/
    ``sketch_dir`` are read by the ``custom`` layout only. ``max_instances`` bounds
    the instance count of one image (more is an error naming the file): 256 is what
    the original's 8-bit re-indexed instance maps can hold.
    """

    dataset_mode: str = "custom"
    dataroot: str = "./datasets/"
    phase: str = "train"
    is_train: bool = True
    preprocess_mode: str = "scale_width_and_crop"
    load_size: int = 1024
    crop_size: int = 512
    aspect_ratio: float = 1.0
    no_flip: bool = False
    max_dataset_size: Optional[int] = None
    serial_batches: bool = False
    nThreads: int = 0
    no_pairing_check: bool = False
    add_sketch: bool = False
    label_nc: int = 182
    contain_dontcare_label: bool = False
    no_instance: bool = False
    label_dir: str = ""
    image_dir: str = ""
    instance_dir: str = ""
    sketch_dir: str = ""
    max_instances: int = 256

    def __post_init__(self) -> None:
        if self.dataset_mode not in DATASET_MODES:
            raise ValueError(f"dataset_mode {self.dataset_mode!r} is not one of {list(DATASET_MODES)}")
        if self.phase not in PHASES:
            raise ValueError(f"phase {self.phase!r} is not one of {list(PHASES)} ('test' and 'val' read the "
                             "evaluation split, 'train' the training split)")
        if self.preprocess_mode not in PREPROCESS_MODES:
            raise ValueError(f"preprocess_mode {self.preprocess_mode!r} is not one of {list(PREPROCESS_MODES)}")
        for key in ("load_size", "crop_size", "label_nc", "max_instances"):
            if int(getattr(self, key)) < 1:
                raise ValueError(f"{key} must be >= 1, got {getattr(self, key)}")
        if not self.aspect_ratio > 0:
            raise ValueError(f"aspect_ratio must be > 0, got {self.aspect_ratio}")
        if self.max_dataset_size is not None and self.max_dataset_size < 1:
            raise ValueError(f"max_dataset_size must be >= 1 (or None for all), got {self.max_dataset_size}")
        if self.nThreads < 0:
            raise ValueError(f"nThreads must be >= 0, got {self.nThreads}")

    @property
    def label_channels(self) -> int:
        """Classes including the dontcare one: label values lie in [0, label_channels)."""
        return self.label_nc + (1 if self.contain_dontcare_label else 0)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], source: str = "data options") -> "DataConfig":
        """Build from a mapping; keys that are no option are a ValueError naming them."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{source}: unknown data option(s) {unknown}; known: {sorted(known)}")
        return cls(**values)

    @classmethod
    def for_dataset(cls, mode: str, phase: str = "train", **overrides: Any) -> "DataConfig":
        """The original's defaults for ``dataset_mode=mode`` and ``phase``, then ``overrides``.

        ``is_train`` defaults to ``phase == 'train'`` and chooses the train/test defaults
        (e.g. load_size 286 vs 256), as the original's train/test options do.
        """
        is_train = overrides.pop("is_train", phase == "train")
        values = {**defaults_for(cls, mode, is_train), "dataset_mode": mode, "phase": phase,
                  "is_train": is_train, **overrides}
        return cls.from_dict(values, f"DataConfig.for_dataset({mode!r})")
