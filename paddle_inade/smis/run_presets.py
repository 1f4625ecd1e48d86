"""GroupDNet's complete training runs (``tools/train.py --model smis --preset NAME``): its released
models' options (SMIS's scripts) and the toy scenes, with data and loop options."""
from __future__ import annotations

from typing import Any

from .config import MODEL_NAME, PRESETS

#: The toy run learns ten times as fast as SMIS's lr 2e-4 (at 2e-4, after 600 steps, resampling one class
#: still changed 76 % of the pixels outside it; at 2e-3, 25 %: README, GroupDNet).
RUN_PRESETS: dict[str, dict[str, Any]] = {
    "toy": {**PRESETS["toy"], "dataset_mode": "toy", "name": "toy_smis", "batchSize": 4,
            "niter": 5, "niter_decay": 3, "lr": 0.002, "print_freq": 10, "display_freq": 100,
            "save_latest_freq": 200, "save_epoch_freq": 4, "gpu_ids": "0", "model": MODEL_NAME},
}
for _name, _model in PRESETS.items():
    RUN_PRESETS.setdefault(_name, {**_model, "dataset_mode": _name, "model": MODEL_NAME})
