"""INADE / SPADE's complete training runs (``tools/train.py --preset NAME``): model, data and loop options."""
from __future__ import annotations

from typing import Any

from .config import PRESETS

#: INADE / SPADE's complete runs, over all three groups (the family's ``run_presets``). ``toy`` is
#: what ``python tools/train.py`` runs.
RUN_PRESETS: dict[str, dict[str, Any]] = {
    "toy": {**PRESETS["toy"], "dataset_mode": "toy", "name": "toy_inade", "batchSize": 4,
            "niter": 7, "niter_decay": 0, "lr": 0.002, "no_TTUR": True, "ema_nimg": 1000.0, "ema_rampup": 0.05,
            "print_freq": 10, "display_freq": 125, "quality_freq": 125, "quality_layouts": 8,
            "save_latest_freq": 125, "save_epoch_freq": 0, "gpu_ids": "0"},
}
for _name, _model in PRESETS.items():
    RUN_PRESETS.setdefault(_name, {**_model, "dataset_mode": _name})
