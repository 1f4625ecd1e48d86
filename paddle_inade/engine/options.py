"""Training options, presets, and the command line shared by the tools.

Three typed groups: :class:`~paddle_inade.config.INADEConfig` (networks, losses),
:class:`~paddle_inade.data.DataConfig` (dataset) and :class:`TrainOptions` (loop,
optimiser, logging). The command line exposes every field under the original's
option name once (``--label_nc`` feeds both the model and the data). Values are
resolved in this order, later winning: dataset defaults of ``--dataset_mode``,
``--preset``, ``--config FILE.yaml``, explicit command-line options.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import typing
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import yaml

from ..config import PRESETS, INADEConfig
from ..smis.config import PRESETS as SMIS_PRESETS
from ..smis.config import SMISConfig

#: ``--model``: INADE / SPADE (the original's ``pix2pix`` model) or GroupDNet (SMIS's ``smis``).
MODEL_CONFIGS = {"inade": INADEConfig, "pix2pix": INADEConfig, "smis": SMISConfig}


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
    model: str = "inade"

    def __post_init__(self) -> None:
        for key in ("batchSize", "D_steps_per_G", "display_freq", "print_freq", "save_latest_freq",
                    "save_epoch_freq", "n_display_samples"):
            if getattr(self, key) < 1:
                raise ValueError(f"--{key} must be >= 1, got {getattr(self, key)}")
        if self.niter < 0 or self.niter_decay < 0 or self.niter + self.niter_decay < 1:
            raise ValueError("--niter + --niter_decay must be >= 1 epochs")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"--max_steps must be >= 1, got {self.max_steps}")
        if self.model not in MODEL_CONFIGS:
            raise ValueError(f"--model {self.model!r} is not one of {sorted(MODEL_CONFIGS)}")

    @property
    def experiment_dir(self) -> str:
        return os.path.join(self.checkpoints_dir, self.name)


#: Complete runs, over all three groups. ``toy`` is what ``python tools/train.py`` runs.
RUN_PRESETS: dict[str, dict[str, Any]] = {
    "toy": {**PRESETS["toy"], "dataset_mode": "toy", "name": "toy_inade", "batchSize": 4,
            "niter": 5, "niter_decay": 3, "print_freq": 10, "display_freq": 100,
            "save_latest_freq": 200, "save_epoch_freq": 4, "gpu_ids": "0"},
}
for _name, _model in PRESETS.items():
    RUN_PRESETS.setdefault(_name, {**_model, "dataset_mode": _name})

#: GroupDNet's runs (``--model smis``): its released models' options and the toy scenes.
SMIS_RUN_PRESETS: dict[str, dict[str, Any]] = {
    "toy": {**SMIS_PRESETS["toy"], "dataset_mode": "toy", "name": "toy_smis", "batchSize": 4,
            "niter": 5, "niter_decay": 3, "print_freq": 10, "display_freq": 100,
            "save_latest_freq": 200, "save_epoch_freq": 4, "gpu_ids": "0", "model": "smis"},
}
for _name, _model in SMIS_PRESETS.items():
    SMIS_RUN_PRESETS.setdefault(_name, {**_model, "dataset_mode": _name, "model": "smis"})


def model_name(model: str) -> str:
    """'inade' or 'smis' for a ``--model`` value (the original INADE calls its model pix2pix)."""
    if model not in MODEL_CONFIGS:
        raise ValueError(f"--model {model!r} is not one of {sorted(MODEL_CONFIGS)}")
    return "smis" if model == "smis" else "inade"


def run_presets(model: str = "inade") -> dict[str, dict[str, Any]]:
    return SMIS_RUN_PRESETS if model_name(model) == "smis" else RUN_PRESETS


def _groups(model: str = "inade"):
    from ..data import DataConfig
    return {"model": MODEL_CONFIGS[model], "data": DataConfig, "train": TrainOptions}


def _field_types(cls) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _base_type(tp):
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if args else tp


def build_parser(description: str, model: str = "inade") -> argparse.ArgumentParser:
    """Every option of the three groups (the model group of ``--model``), with defaults
    suppressed so that only the options the user typed come back from ``parse_args``."""
    parser = argparse.ArgumentParser(description=description, argument_default=argparse.SUPPRESS)
    parser.add_argument("--config", help="YAML file with options (flat, or under model/data/train)")
    parser.add_argument("--preset", choices=sorted(run_presets(model)), help="a named set of options")
    seen = set()
    for group, cls in _groups(model).items():
        arg_group = parser.add_argument_group(group)
        defaults = {f.name: f.default for f in dataclasses.fields(cls)}
        for name, tp in _field_types(cls).items():
            if name in seen:
                continue
            seen.add(name)
            base = _base_type(tp)
            if base is bool:
                arg_group.add_argument(f"--{name}", action="store_true",
                                       help=f"(flag, default {defaults[name]})")
            else:
                arg_group.add_argument(f"--{name}", type=base, help=f"(default {defaults[name]})")
    return parser


def _flatten_yaml(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            content = yaml.safe_load(fh) or {}
    except OSError as exc:
        raise FileNotFoundError(f"--config {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"--config {path}: not valid YAML ({exc})") from exc
    if not isinstance(content, dict):
        raise ValueError(f"--config {path}: expected a mapping of options, got {type(content).__name__}")
    flat: dict[str, Any] = {}
    for key, value in content.items():
        if key in ("model", "data", "train") and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def split_options(flat: Mapping[str, Any], source: str):
    """Distribute a flat mapping over (model config of ``model``, DataConfig, TrainOptions);
    keys known to none of them are an error naming ``source``."""
    groups = _groups(flat.get("model", "inade"))
    known = set().union(*(_field_types(c) for c in groups.values())) | {"semantic_nc"}
    unknown = sorted(set(flat) - known)
    if unknown:
        raise ValueError(f"{source}: unknown option(s) {unknown}")
    built = []
    for name, cls in groups.items():
        fields = _field_types(cls)
        values = {k: v for k, v in flat.items() if k in fields}
        built.append(cls.from_dict(values, source) if name == "model" else cls(**values))
    return tuple(built)


def resolve(args: Mapping[str, Any], model: str = "inade") -> dict[str, Any]:
    """Flat options from parsed arguments: dataset defaults < preset < YAML < command line."""
    from ..data import DataConfig
    args = dict(args)
    config_file, preset = args.pop("config", None), args.pop("preset", None)
    from_file = _flatten_yaml(config_file) if config_file else {}
    known = set().union(*(_field_types(c) for c in _groups(model).values())) | {"semantic_nc"}
    unknown = sorted(set(from_file) - known)
    if unknown:
        raise ValueError(f"--config {config_file}: unknown option(s) {unknown}")
    if preset is None and not from_file and "dataset_mode" not in args:
        preset = "toy"
    layered: dict[str, Any] = dict(run_presets(model)[preset]) if preset else {}
    layered.update(from_file)
    layered.update(args)
    mode = layered.get("dataset_mode", "custom")
    dataset_defaults = dataclasses.asdict(DataConfig.for_dataset(mode, layered.get("phase", "train")))
    return {**dataset_defaults, **layered, "model": model}


def options_to_yaml(model, data, train: TrainOptions) -> str:
    return yaml.safe_dump({"model": model.to_dict(), "data": dataclasses.asdict(data) if data else {},
                           "train": dataclasses.asdict(train)}, sort_keys=True)


def load_saved_options(path: str) -> dict[str, dict[str, Any]]:
    """The options saved beside a checkpoint (``opt.yaml``), as {group: {option: value}}."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no saved options at {path}")
    with open(path, encoding="utf-8") as fh:
        saved = yaml.safe_load(fh)
    if not isinstance(saved, dict) or not {"model", "train"} <= set(saved):
        raise ValueError(f"{path}: not an options file written by paddle_inade (needs model/train)")
    return saved
