"""Run folders (``checkpoints/<name>``) and the weight files in them.

:func:`run_weights` finds ``<epoch>_net_<net>.pdparams`` (or the original's ``.pth``),
:func:`run_weight_files` a run's generator and encoder (their weight averages when it has them),
:func:`check_run_folder` checks that a run exists; the errors name what the folder holds.
"""
from __future__ import annotations

import os
from typing import Optional, Union

PathLike = Union[str, os.PathLike]


WEIGHT_EXTENSIONS = (".pdparams", ".pth")


def run_weights(folder: PathLike, which_epoch: str, net: str) -> Optional[str]:
    """``<folder>/<which_epoch>_net_<net>.pdparams`` or else ``.pth`` (the original's), or None."""
    for ext in WEIGHT_EXTENSIONS:
        path = os.path.join(os.fspath(folder), f"{which_epoch}_net_{net}{ext}")
        if os.path.isfile(path):
            return path
    return None


def run_weight_files(folder: PathLike, which_epoch: str, ema: bool = True) -> tuple[str, Optional[str]]:
    """(generator file, encoder file or None) of a run folder for ``which_epoch``: with ``ema``,
    the weight averages (``_net_G_ema``/``_net_E_ema``, written by training with --ema_nimg) when
    the run has them. FileNotFoundError naming the epochs there when there is no generator."""
    suffix = "_ema" if ema and run_weights(folder, which_epoch, "G_ema") is not None else ""
    generator = run_weights(folder, which_epoch, "G" + suffix)
    if generator is None:
        raise FileNotFoundError(missing_weights_message(folder, which_epoch, "G"))
    return generator, run_weights(folder, which_epoch, "E" + suffix)


def missing_weights_message(folder: PathLike, which_epoch: str, net: str) -> str:
    """'no <which_epoch>_net_<net>.pdparams or .pth in <folder>', with the epochs it has."""
    suffix = f"_net_{net}"
    epochs = sorted({name[: name.index(suffix)] for name in os.listdir(folder)
                     if suffix in name and name.endswith(WEIGHT_EXTENSIONS)})
    has = (f"it has --which_epoch {' / '.join(epochs)}" if epochs
           else f"it holds no *{suffix} files")
    kind = {"G": "generator", "E": "encoder", "D": "discriminator"}.get(net, net)
    return f"no {kind} checkpoint {which_epoch}{suffix}.pdparams or .pth in {os.fspath(folder)} ({has})"


def check_run_folder(folder: PathLike) -> str:
    """``folder`` if it exists, else FileNotFoundError: 'no run folder X (checkpoints_dir
    holds: a, b, ...)' listing the sibling runs, so a typo in --name is easy to see."""
    folder = os.fspath(folder)
    if os.path.isdir(folder):
        return folder
    parent, name = os.path.split(os.path.normpath(folder))
    parent = parent or "."
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"no run folder {folder}: {parent} does not exist (check --checkpoints_dir)")
    runs = sorted(d for d in os.listdir(parent) if os.path.isdir(os.path.join(parent, d)) and not d.startswith("."))
    close = [r for r in runs if _similar(r, name)]
    held = ", ".join(runs[:20]) + (" ..." if len(runs) > 20 else "") if runs else "no runs"
    hint = f"; did you mean --name {close[0]}?" if close else "; check --name and --checkpoints_dir"
    raise FileNotFoundError(f"no run folder {folder} ({parent} holds: {held}){hint}")


def _similar(a: str, b: str) -> bool:
    import difflib
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.8
