"""The training command line (``tools/train.py``): which model family to train, then its run.

The family comes from ``--model``, else the ``model`` of ``--config``, else (resuming) the saved
run's, else INADE / SPADE; :mod:`paddle_inade.engine.run` parses and trains the family's run.
"""
from __future__ import annotations

import os
from typing import Optional, Sequence

from .engine import run
from .engine.options import TOY_NOTE
from .engine.trainer import Trainer
from .families import DEFAULT, family, family_of_run, pre_parse
from .family import ModelFamily
from .saved_options import read_options_file

DESCRIPTION = "Train INADE / SPADE or GroupDNet (--model smis) with the originals' options. " + TOY_NOTE


def _config_family(path: str) -> Optional[ModelFamily]:
    """The family named by the ``model`` of an options file, or None."""
    try:
        value = read_options_file(path).train.get("model")
    except ValueError as exc:
        raise ValueError(f"--config {exc}") from exc
    return family(value) if isinstance(value, str) else None


def choose_family(argv: Optional[Sequence[str]] = None) -> ModelFamily:
    """The family to train (see the module doc). A ``--model`` that contradicts the run being
    resumed is an error."""
    known = pre_parse(argv)
    saved = None
    if known.continue_train and known.name:
        saved = family_of_run(os.path.join(known.checkpoints_dir, known.name))
    if known.model:
        chosen = family(known.model)
        if saved is not None and saved is not chosen:
            raise ValueError(f"--continue_train: {known.name} is a --model {saved.name} run, not --model "
                             f"{chosen.name}")
        return chosen
    if known.config and os.path.isfile(known.config):
        chosen = _config_family(known.config)
        if chosen is not None:
            return chosen
    return saved or DEFAULT


def parse(argv: Optional[Sequence[str]] = None):
    """(model cfg, data cfg, train options, overwrite flag) from the command line."""
    return run.parse(argv, choose_family(argv), DESCRIPTION)


def main(argv: Optional[Sequence[str]] = None, should_stop=None, on_step=None) -> Trainer:
    """Choose the family, parse, check, build and train (see :func:`paddle_inade.engine.run.main`)."""
    return run.main(argv, choose_family(argv), should_stop, DESCRIPTION, on_step)
