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
from typing import Any, Mapping

import yaml

from ..saved_options import contradiction_text, contradictions, option_groups, read_options_file, read_saved_options
from ..option_parser import OptionParser, add_fields, field_types
from ..train_options import TrainOptions


def build_parser(description: str, family) -> argparse.ArgumentParser:
    """Every option of the three groups (the model group of ``family``, a
    :class:`~paddle_inade.family.ModelFamily`), with defaults suppressed so that only the options
    the user typed come back from ``parse_args``."""
    parser = OptionParser(description=description, argument_default=argparse.SUPPRESS)
    parser.add_argument("--config", help="options file: YAML (flat, or under model/data/train, as a run's "
                        "opt.yaml) or the original's opt.txt")
    parser.add_argument("--preset", choices=sorted(family.run_presets), help="a named set of options")
    toy = family.run_presets.get("toy", {})

    def shown(name, default):
        return f"({'flag, ' if isinstance(default, bool) else ''}{_default_text(default, toy.get(name, default))})"

    seen: set = set()
    for group, cls in option_groups(family.name).items():
        seen.update(add_fields(parser.add_argument_group(group), cls, shown, skip=seen))
    return parser


#: the first lines of ``-h``: what runs when no dataset is named
TOY_NOTE = ("With no --dataset_mode, --preset or --config the toy preset runs (--preset toy: the built-in toy "
            "scenes); an option's 'toy run' value is what it then is, its 'default' what it is otherwise "
            "(the original's, or the dataset's). A flag set by the preset is turned off by '--FLAG false'.")


def _default_text(default, toy) -> str:
    """'default X' or, where the toy run differs, 'toy run Y, default X'."""
    return f"default {default}" if toy == default else f"toy run {toy}, default {default}"


def split_options(flat: Mapping[str, Any], source: str):
    """Distribute a flat mapping over (model config of ``model``, DataConfig, TrainOptions);
    keys known to none of them are an error naming ``source``."""
    groups = option_groups(flat.get("model", "inade"))
    known = set().union(*(field_types(c) for c in groups.values())) | {"semantic_nc"}
    unknown = sorted(set(flat) - known)
    if unknown:
        raise ValueError(f"{source}: unknown option(s) {unknown}")
    built = []
    for name, cls in groups.items():
        fields = field_types(cls)
        values = {k: v for k, v in flat.items() if k in fields}
        built.append(cls.from_dict(values, source) if name == "model" else cls(**values))
    return tuple(built)


def resolve(args: Mapping[str, Any], family) -> dict[str, Any]:
    """Flat options of a ``family`` run from parsed arguments: dataset defaults < preset < YAML <
    command line, and with ``continue_train`` the saved run's on top (:func:`resume_options`)."""
    from ..data import DataConfig
    from ..data.options import defaults_for
    args = dict(args)
    config_file, preset = args.pop("config", None), args.pop("preset", None)
    try:
        from_file = read_options_file(config_file).flat() if config_file else {}
    except (ValueError, FileNotFoundError) as exc:
        raise type(exc)(f"--config {exc}") from exc
    if preset is None and not from_file and "dataset_mode" not in args:
        preset = "toy"
    layered: dict[str, Any] = dict(family.run_presets[preset]) if preset else {}
    layered.update(from_file)
    layered.update(args)
    mode = layered.get("dataset_mode", "custom")
    phase = layered.get("phase", "train")
    dataset = {**dataclasses.asdict(DataConfig.for_dataset(mode, phase)),
               **defaults_for(family.config_class, mode, is_train=phase == "train")}
    flat = {**dataset, **layered, "model": family.name}
    if flat.get("continue_train"):
        given = {k: v for k, v in args.items() if k != "model"}
        return resume_options(flat.get("checkpoints_dir", "./checkpoints"), flat.get("name", ""), given)
    return flat


#: Options about this invocation, not about the run: never taken from the saved opt.yaml.
PER_INVOCATION = ("max_steps", "which_epoch", "gpu_ids", "continue_train")


def resume_options(checkpoints_dir: str, name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """The options of resuming run ``name``: its saved ones (but :data:`PER_INVOCATION`), with the
    command line's ``given`` options that are not model options; a model option given that
    differs from the saved one is an error (the checkpoint was trained with another config)."""
    exp_dir = os.path.join(checkpoints_dir, name)
    saved = read_saved_options(exp_dir) if os.path.isdir(exp_dir) else None
    if saved is None or not saved.path.endswith("opt.yaml"):
        what = "it was trained by the original code (opt.txt)" if saved else "no opt.yaml"
        raise FileNotFoundError(f"--continue_train: no checkpoint to resume in {exp_dir} "
                                f"({what}); check --name and --checkpoints_dir")
    conflicts = contradictions(saved.model, given)
    if conflicts:
        raise ValueError(f"--continue_train: {saved.path} was trained with other model options "
                         + contradiction_text(conflicts))
    train = {k: v for k, v in saved.train.items() if k not in PER_INVOCATION}
    merged = {**saved.data, **train, **saved.model}
    merged.update({k: v for k, v in given.items() if k not in saved.model})
    merged["continue_train"] = True
    return merged


def options_to_yaml(model, data, train: TrainOptions) -> str:
    return yaml.safe_dump({"model": model.to_dict(), "data": dataclasses.asdict(data) if data else {},
                           "train": dataclasses.asdict(train)}, sort_keys=True)
