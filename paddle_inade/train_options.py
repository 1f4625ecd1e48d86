"""TrainOptions: the training loop's options (the original's ``train_options.py`` names and
defaults, plus this package's own). Kept outside :mod:`paddle_inade.engine` so that reading a
run's saved options does not import the training engine."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from .config import INADEConfig
from .smis.config import SMISConfig

#: The model option class of every ``--model`` value (each class names its own ``model_names``).
#: The families' full interface (:mod:`paddle_inade.families`) sits above the engine; reading a
#: run's saved options needs only the option classes, so they are listed here, below it.
MODEL_CONFIGS = {name: cls for cls in (INADEConfig, SMISConfig) for name in cls.model_names}


@dataclass
class TrainOptions:
    """The original's training options (``options/train_options.py``) plus our own."""

    name: str = "label2coco"
    checkpoints_dir: str = "./checkpoints"
    batchSize: int = 1
    niter: int = 50
    niter_decay: int = 0
    lr: float = 0.0002
    beta1: float = 0.0
    beta2: float = 0.9
    no_TTUR: bool = False
    D_steps_per_G: int = 1
    display_freq: int = 100
    print_freq: int = 100
    save_latest_freq: int = 5000
    save_epoch_freq: int = 10
    continue_train: bool = False
    which_epoch: str = "latest"
    gpu_ids: str = "0"
    use_amp: bool = False
    max_steps: Optional[int] = None
    seed: int = 0
    vgg_weights: Optional[str] = None
    n_display_samples: int = 3
    # aids and measurements (not in the original; the defaults keep its behaviour)
    ema_nimg: float = 0.0
    ema_rampup: Optional[float] = None
    quality_freq: int = 0
    quality_layouts: int = 8
    quality_samples: int = 8
    model: str = "inade"  # --model: a key of MODEL_CONFIGS

    def __post_init__(self) -> None:
        for key in ("batchSize", "D_steps_per_G", "display_freq", "print_freq", "save_latest_freq",
                    "n_display_samples"):
            if getattr(self, key) < 1:
                raise ValueError(f"--{key} must be >= 1, got {getattr(self, key)}")
        if self.save_epoch_freq < 0:
            raise ValueError(f"--save_epoch_freq must be >= 0 (0: no epoch copies, only latest), "
                             f"got {self.save_epoch_freq}")
        if self.niter < 0 or self.niter_decay < 0 or self.niter + self.niter_decay < 1:
            raise ValueError("--niter + --niter_decay must be >= 1 epochs")
        if self.ema_nimg < 0 or (self.ema_rampup is not None and self.ema_rampup < 0):
            raise ValueError(f"--ema_nimg and --ema_rampup must be >= 0, got {self.ema_nimg}, {self.ema_rampup}")
        if self.quality_freq < 0 or self.quality_layouts < 2 or self.quality_samples < 2:
            raise ValueError("--quality_freq must be >= 0 (0 = off), --quality_layouts and --quality_samples >= 2; "
                             f"got {self.quality_freq}, {self.quality_layouts}, {self.quality_samples}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"--max_steps must be >= 1, got {self.max_steps}")
        if self.model not in MODEL_CONFIGS:
            raise ValueError(f"--model {self.model!r} is not one of {sorted(MODEL_CONFIGS)}")

    @property
    def experiment_dir(self) -> str:
        return os.path.join(self.checkpoints_dir, self.name)
