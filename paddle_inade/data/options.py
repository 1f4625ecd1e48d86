"""DataConfig: the dataset options, with the original's names and per-dataset defaults."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Optional

PREPROCESS_MODES = ("resize_and_crop", "crop", "scale_width", "scale_width_and_crop",
                    "scale_shortside", "scale_shortside_and_crop", "fixed", "none")
DATASET_MODES = ("ade20k", "cityscapes", "coco", "celeba", "deepfashion", "custom", "toy")


@dataclass
class DataConfig:
    """Where the data is and how samples are resized, cropped and flipped.

    ``phase`` 'train' enables flipping (unless ``no_flip``); 'test'/'val' read the
    validation split of layouts that have one. ``max_instances`` bounds the instance
    count of one image (more is an error naming the file).
    """

    dataset_mode: str = "custom"
    dataroot: str = "./datasets/"
    phase: str = "train"
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
    max_instances: int = 255

    def __post_init__(self) -> None:
        if self.dataset_mode not in DATASET_MODES:
            raise ValueError(f"--dataset_mode {self.dataset_mode!r} is not one of {list(DATASET_MODES)}")
        if self.preprocess_mode not in PREPROCESS_MODES:
            raise ValueError(f"--preprocess_mode {self.preprocess_mode!r} is not one of {list(PREPROCESS_MODES)}")
        for key in ("load_size", "crop_size", "label_nc", "max_instances"):
            if getattr(self, key) < 1:
                raise ValueError(f"--{key} must be >= 1, got {getattr(self, key)}")

    @property
    def is_train(self) -> bool:
        return self.phase == "train"

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], source: str = "options") -> "DataConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{source}: unknown data option(s) {unknown}")
        return cls(**values)

    @classmethod
    def for_dataset(cls, mode: str, phase: str = "train", **overrides: Any) -> "DataConfig":
        """The original's defaults for ``--dataset_mode mode`` (then ``overrides``)."""
        if mode not in DATASET_MODES:
            raise ValueError(f"--dataset_mode {mode!r} is not one of {list(DATASET_MODES)}")
        train = phase == "train"
        defaults = {
            "ade20k": dict(preprocess_mode="resize_and_crop", load_size=286 if train else 256,
                           crop_size=256, label_nc=150, contain_dontcare_label=True),
            "coco": dict(preprocess_mode="resize_and_crop", load_size=286 if train else 256,
                         crop_size=256, label_nc=182, contain_dontcare_label=True),
            "cityscapes": dict(preprocess_mode="fixed", load_size=512, crop_size=512,
                               label_nc=35, aspect_ratio=2.0),
            "celeba": dict(preprocess_mode="resize_and_crop", load_size=286 if train else 256,
                           crop_size=256, label_nc=19),
            "deepfashion": dict(preprocess_mode="resize_and_crop", load_size=256, crop_size=256,
                                label_nc=8),
            "custom": dict(preprocess_mode="resize_and_crop", load_size=286 if train else 256,
                           crop_size=256, label_nc=13),
            "toy": dict(preprocess_mode="fixed", load_size=64, crop_size=64, label_nc=6,
                        dataroot=""),
        }[mode]
        return cls(**{**defaults, "dataset_mode": mode, "phase": phase, **overrides})
