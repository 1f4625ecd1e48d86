"""The model families, and how a ``--model`` value, an option object or a run folder finds its own.

    family("smis").pipeline_class          # GroupDNetPipeline
    family_of(cfg).build_model(cfg)        # the training model of these options
    family_of_run(folder)                  # the family a run was trained with (its opt.yaml)

Each family describes itself once, in its own package (a :class:`~paddle_inade.family.ModelFamily`);
this table lists them. It sits above the training engine and the pipelines: they receive a
family from their caller and import nothing from here.
"""
from __future__ import annotations

import argparse
import os
from typing import Optional, Sequence

from .family import ModelFamily
from .option_parser import OptionParser, parse_flag
from .inade_family import FAMILY as INADE
from .saved_options import read_options_file, read_saved_options
from .smis.family import FAMILY as GROUPDNET
from .train_options import MODEL_CONFIGS

#: Every family; the first is the default (``--model`` not given).
FAMILIES: tuple[ModelFamily, ...] = (INADE, GROUPDNET)
DEFAULT = FAMILIES[0]


def family(model: str) -> ModelFamily:
    """The family of a ``--model`` value; ValueError naming the values there are."""
    for candidate in FAMILIES:
        if model in candidate.model_names:
            return candidate
    raise ValueError(f"--model {model!r} is not one of {sorted(MODEL_CONFIGS)}")


def family_of(cfg) -> ModelFamily:
    """The family whose option class ``cfg`` is."""
    for candidate in FAMILIES:
        if isinstance(cfg, candidate.config_class):
            return candidate
    raise ValueError(f"{type(cfg).__name__} is the options of no model family "
                     f"({', '.join(f.config_class.__name__ for f in FAMILIES)})")


def family_of_saved(saved) -> Optional[ModelFamily]:
    """The family of a run's :class:`~paddle_inade.saved_options.SavedOptions` (its ``model``; the original's
    ``opt.txt`` is INADE's), or None without saved options."""
    return None if saved is None else family(str(saved.train.get("model", DEFAULT.name)))


def family_of_run(folder) -> Optional[ModelFamily]:
    """The family a run folder was trained with, or None when it has no saved options."""
    return family_of_saved(read_saved_options(folder)) if os.path.isdir(folder) else None


def pre_parse(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """What chooses a command's family, read before its parser exists: ``model``, ``config``,
    ``name``, ``checkpoints_dir``, ``continue_train`` (the rest of ``argv`` is left to that parser)."""
    pre = OptionParser(add_help=False)
    for option in ("--model", "--config", "--name"):
        pre.add_argument(option)
    pre.add_argument("--checkpoints_dir", default="./checkpoints")
    pre.add_argument("--continue_train", nargs="?", const=True, type=parse_flag, default=False)
    return pre.parse_known_args(argv)[0]


def family_of_test_args(argv: Optional[Sequence[str]]) -> ModelFamily:
    """The family ``tools/test.py`` runs: ``--model``, else the one the ``opt.yaml`` of ``--name``
    was trained with (SMIS's own ``opt.txt`` is not read: its folder is told by ``--model``),
    else the default. A ``--model`` of no family is left to the default's parser to refuse."""
    known = pre_parse(argv)
    model = known.model
    if model is None and known.name:
        path = os.path.join(known.checkpoints_dir, known.name, "opt.yaml")
        model = read_options_file(path).train.get("model") if os.path.isfile(path) else None
    return family(model) if isinstance(model, str) and model in MODEL_CONFIGS else DEFAULT
