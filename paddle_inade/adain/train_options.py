"""The options of ``tools/train_adain.py``: pytorch-AdaIN's ``train.py`` options and defaults,
plus a few of this project's; and the built-in demo's defaults.

Without ``--content_dir`` / ``--style_dir`` the demo trains on the toy scenes (content) and
procedural textures (styles), both generated on first use, with smaller defaults that
finish in minutes on a CPU (``DEMO_DEFAULTS``; anything given on the command line wins).
"""
from __future__ import annotations

import argparse
import os
from dataclasses import asdict, dataclass, fields
from typing import Optional, Sequence
from ..option_parser import OptionParser

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


def _default(name: str) -> str:
    """'(default: X)' with the built-in demo's value where it differs."""
    base, demo = getattr(TrainConfig(), name), DEMO_DEFAULTS.get(name)
    return f"(default: {base}" + (f"; without data options {demo})" if demo is not None else ")")


def build_parser(description: Optional[str] = None) -> argparse.ArgumentParser:
    p = OptionParser(description=description or "Train an AdaIN decoder (pytorch-AdaIN's train.py "
                                "options; no data options: toy scenes and procedural textures)",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--content_dir", type=str, help="folder of content images (default: the toy scenes)")
    p.add_argument("--style_dir", type=str, help="folder of style images (default: procedural textures)")
    p.add_argument("--vgg", type=str, help=f"normalised VGG weights (default: {DEFAULT_VGG} if it exists, "
                   f"else '{IMAGENET}': Paddle's ImageNet VGG-19, downloaded)")
    p.add_argument("--save_dir", type=str, help=f"checkpoints {_default('save_dir')}")
    p.add_argument("--log_dir", type=str, help=f"VisualDL logs {_default('log_dir')}")
    for name in ("lr", "lr_decay", "style_weight", "content_weight"):
        p.add_argument(f"--{name}", type=float, help=_default(name))
    for name in ("max_iter", "batch_size", "n_threads", "save_model_interval"):
        p.add_argument(f"--{name}", type=int, help=_default(name))
    p.add_argument("--load_size", type=int, help=f"images are resized to this square {_default('load_size')}")
    p.add_argument("--crop_size", type=int, help=f"random crops of this size {_default('crop_size')}")
    p.add_argument("--seed", type=int, help=f"decoder initialisation, data order and crops {_default('seed')}")
    p.add_argument("--continue_train", action="store_true", help="resume from save_dir's latest checkpoint")
    p.add_argument("--overwrite", action="store_true", help="start afresh over existing checkpoints")
    return p


def config_from_args(argv: Optional[Sequence[str]] = None, description: Optional[str] = None) -> TrainConfig:
    """TrainConfig from the command line: given options > demo defaults (no data) > the original's."""
    parser = build_parser(description)
    given = {k: v for k, v in vars(parser.parse_args(argv)).items() if v is not None and v is not False}
    values = {}
    if "content_dir" not in given and "style_dir" not in given:
        values.update(DEMO_DEFAULTS)
    values.update(given)
    known = {f.name for f in fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in values.items() if k in known})
    cfg.check()
    return cfg
