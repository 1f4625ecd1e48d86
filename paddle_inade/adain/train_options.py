"""The options of ``tools/train_adain.py``: pytorch-AdaIN's ``train.py`` options and defaults,
plus a few of this project's; and the built-in demo's defaults.

Without ``--content_dir`` / ``--style_dir`` the demo trains on the toy scenes (content) and
procedural textures (styles), both generated on first use, with smaller defaults that
finish in minutes on a CPU (``DEMO_DEFAULTS``; anything given on the command line wins).
"""
from __future__ import annotations

import argparse
import os
from dataclasses import asdict, dataclass
from typing import Optional, Sequence
from ..option_parser import OptionParser, add_fields

#: The original's default --vgg; used when it exists, else Paddle's ImageNet VGG-19 (download).
DEFAULT_VGG = "models/vgg_normalised.pth"
IMAGENET = "imagenet"
DEMO_DEFAULTS = {"max_iter": 150, "batch_size": 4, "load_size": 64, "crop_size": 48,
                 "save_model_interval": 50, "save_dir": "./experiments/adain_demo", "log_dir": "./logs/adain_demo"}
#: Options that may differ when a run is resumed.
PER_RUN = ("max_iter", "save_model_interval", "n_threads", "continue_train", "overwrite", "log_dir")


@dataclass
class TrainConfig:
    """Every option of a training run (the original's names and defaults first)."""
    content_dir: Optional[str] = None
    style_dir: Optional[str] = None
    vgg: Optional[str] = None  # None: DEFAULT_VGG if it exists, else IMAGENET
    save_dir: str = "./experiments"
    log_dir: str = "./logs"
    lr: float = 1e-4
    lr_decay: float = 5e-5
    max_iter: int = 160000
    batch_size: int = 8
    style_weight: float = 10.0
    content_weight: float = 1.0
    n_threads: int = 16
    save_model_interval: int = 10000
    load_size: int = 512
    crop_size: int = 256
    seed: int = 0
    continue_train: bool = False
    overwrite: bool = False

    @property
    def demo(self) -> bool:
        return self.content_dir is None and self.style_dir is None

    def check(self) -> None:
        if (self.content_dir is None) != (self.style_dir is None):
            raise ValueError("give both --content_dir and --style_dir (or neither, for the built-in toy "
                             "scenes and textures)")
        for name in ("max_iter", "batch_size", "save_model_interval", "load_size", "crop_size", "n_threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be >= 1, got {getattr(self, name)}")
        if self.crop_size > self.load_size:
            raise ValueError(f"--crop_size {self.crop_size} is larger than --load_size {self.load_size}")
        if self.lr <= 0 or self.lr_decay < 0:
            raise ValueError(f"--lr must be > 0 and --lr_decay >= 0, got {self.lr} and {self.lr_decay}")

    def resolved_vgg(self) -> str:
        """The --vgg file, or IMAGENET when none was given and DEFAULT_VGG does not exist."""
        if self.vgg is not None:
            return self.vgg
        return DEFAULT_VGG if os.path.isfile(DEFAULT_VGG) else IMAGENET

    def to_dict(self) -> dict:
        return asdict(self)


#: ``--help`` of each option (the default is added: :func:`_shown`).
HELP = {"content_dir": "folder of content images (default: the toy scenes)",
        "style_dir": "folder of style images (default: procedural textures)",
        "vgg": f"normalised VGG weights (default: {DEFAULT_VGG} if it exists, else '{IMAGENET}': Paddle's "
               "ImageNet VGG-19, downloaded)",
        "save_dir": "checkpoints", "log_dir": "VisualDL logs", "load_size": "images are resized to this square",
        "crop_size": "random crops of this size", "seed": "decoder initialisation, data order and crops",
        "continue_train": "resume from save_dir's latest checkpoint",
        "overwrite": "start afresh over existing checkpoints"}


def _shown(name: str, default) -> str:
    """'(default: X)', with the built-in demo's value where it differs."""
    if name in ("content_dir", "style_dir", "vgg", "continue_train", "overwrite"):
        return ""
    demo = DEMO_DEFAULTS.get(name)
    return f"(default: {default}" + (f"; without data options {demo})" if demo is not None else ")")


def build_parser(description: Optional[str] = None) -> argparse.ArgumentParser:
    p = OptionParser(description=description or "Train an AdaIN decoder (pytorch-AdaIN's train.py "
                                "options; no data options: toy scenes and procedural textures)",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_fields(p, TrainConfig, _shown, helps=HELP)
    return p


def config_from_args(argv: Optional[Sequence[str]] = None, description: Optional[str] = None) -> TrainConfig:
    """TrainConfig from the command line: given options > demo defaults (no data) > the original's."""
    parser = build_parser(description)
    given = vars(parser.parse_args(argv))
    values = {}
    if "content_dir" not in given and "style_dir" not in given:
        values.update(DEMO_DEFAULTS)
    values.update(given)
    cfg = TrainConfig(**values)
    cfg.check()
    return cfg
