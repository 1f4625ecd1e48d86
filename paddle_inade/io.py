"""Files in one place: atomic writes, weight files (``.pdparams`` or the original's ``.pth``),
and the options saved beside a checkpoint.

Writing: :func:`atomic_write` (and :func:`atomic_write_text`, :func:`atomic_save`,
:func:`atomic_write_all` for a set of files) writes under a temporary name in the target's
folder and renames it into place, so a crash leaves the old file whole and no temporary behind;
:func:`atomic_folder` does the same for a whole folder (results, generated datasets).

Reading weights: :func:`load_state_file` reads a Paddle state dict or a PyTorch checkpoint (the
latter without torch, through :mod:`paddle_inade.convert.torch_reader`), :func:`load_weights`
is the one strict loader (every key, every shape, or nothing is loaded; the error names the
keys and, when the pattern is recognised, the option that likely differs: :mod:`.state_diff`).

Saved options: :func:`read_saved_options` reads ``opt.yaml`` (written by this package's
trainer) or ``opt.txt`` (written by the original's ``train.py``).
"""
from __future__ import annotations

import collections
import contextlib
import os
import shutil
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, Union

import numpy as np

from .safe_pickle import DamagedFileError, UnsafeFileError, read_paddle_file
from .state_diff import StateDiff

PathLike = Union[str, os.PathLike]


# --------------------------------------------------------------------------- writing
def temporary_sibling(path: PathLike) -> str:
    """A new hidden name in ``path``'s folder that keeps its extension
    (``dir/.name.tmp-<pid>-<random>.ext``), so writers that look at the extension still work.
    Nothing is created: the writer creates it, with the usual permissions."""
    folder, base = os.path.split(os.path.abspath(os.fspath(path)))
    stem, ext = os.path.splitext(base)
    return os.path.join(folder, f".{stem}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}{ext}")


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def atomic_write_all(items: Sequence[tuple[PathLike, Callable[[str], Any]]]) -> None:
    """Write several files: ``write_fn(tmp)`` for every ``(path, write_fn)`` first, then rename
    them into place in the given order (put the file that marks completeness last). If any
    write fails, no target is touched and no temporary file is left. Missing parent folders
    are created."""
    temps: list[tuple[str, str]] = []
    try:
        for path, write_fn in items:
            path = os.fspath(path)
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            temps.append((temporary_sibling(path), path))
            write_fn(temps[-1][0])
        while temps:
            tmp, path = temps[0]
            os.replace(tmp, path)
            temps.pop(0)
    finally:
        for tmp, _ in temps:
            _remove(tmp)


def atomic_write(path: PathLike, write_fn: Callable[[str], Any]) -> None:
    """Call ``write_fn(tmp)`` for a temporary name in ``path``'s folder, then rename it over
    ``path``. On any error ``path`` keeps its old content and the temporary file is removed."""
    atomic_write_all([(path, write_fn)])


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    atomic_write(path, write)


def atomic_save(path: PathLike, obj: Any) -> None:
    """``paddle.save(obj, path)`` atomically."""
    import paddle
    atomic_write(path, lambda tmp: paddle.save(obj, tmp))


@contextlib.contextmanager
def atomic_folder(path: PathLike) -> Iterator[str]:
    """``with atomic_folder(out) as tmp:`` fill ``tmp`` (a hidden sibling folder of ``out``);
    when the block completes, ``tmp`` replaces ``out`` (an existing ``out`` is removed only
    then). If the block raises, or leaves ``tmp`` empty, ``out`` is untouched and ``tmp``
    removed; an empty result is a ValueError (an existing folder is never replaced by nothing).
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not os.path.isdir(path):
        raise FileExistsError(f"{path} exists and is not a folder; choose another output folder")
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = temporary_sibling(path)
    os.makedirs(tmp)
    try:
        yield tmp
        if not os.listdir(tmp):
            raise ValueError(f"nothing was written for {path}; "
                             + ("the existing folder is kept" if os.path.exists(path) else "no folder made"))
        _replace_folder(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _replace_folder(new: str, path: str) -> None:
    """Rename ``new`` to ``path``; an existing ``path`` is moved aside first and removed after."""
    if not os.path.exists(path):
        os.replace(new, path)
        return
    old = temporary_sibling(path) + ".old"
    os.replace(path, old)
    try:
        os.replace(new, path)
    except BaseException:
        os.replace(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- reading weights
class WeightMismatchError(ValueError):
    """A state dict does not fit a network: lists the missing, unexpected and mis-shaped keys."""


class TorchState(collections.OrderedDict):
    """A state dict read from a PyTorch checkpoint: NumPy arrays in torch's layout (Linear
    weights [out, in], BatchNorm ``running_mean``); :func:`load_weights` maps it to Paddle's."""


_LEGACY_TORCH = b"\x80\x02\x8a\x0a"  # pickle protocol 2 opening with torch's 10-byte magic number


def load_state_file(path: PathLike) -> Mapping[str, np.ndarray]:
    """The state dict in ``path`` as NumPy arrays, recognised by content, not by extension:
    a Paddle file (``paddle.save``, e.g. ``.pdparams``) gives a dict in Paddle's layout, a
    PyTorch checkpoint (the original's ``.pth``, zip or legacy pre-1.6 format) a
    :class:`TorchState`, read without torch.

    Every format is read through the allow-listed unpickler (:mod:`.safe_pickle`): a file that
    names anything but arrays, numbers, strings and containers is refused before anything in it
    is built (``UnsafeFileError``, a ValueError naming the file and the global).

    Raises FileNotFoundError (no such file) or ValueError naming the file: a folder, empty,
    damaged, unsafe, or not a state dict of tensors.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such weights file")
    if os.path.isdir(path):
        raise ValueError(f"{path} is a folder, not a weights file")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise ValueError(f"{path}: empty file (an interrupted copy or download?)")
    if head.startswith(b"PK") or head.startswith(_LEGACY_TORCH):
        from .convert.torch_reader import read_torch_checkpoint
        return TorchState(read_torch_checkpoint(path))
    return _load_paddle_state(path, head)


def _load_paddle_state(path: str, head: bytes) -> dict[str, np.ndarray]:
    what = ("is neither a Paddle state dict (paddle.save, .pdparams) nor a PyTorch checkpoint "
            "(torch.save, .pth)")
    if not head.startswith(b"\x80"):
        raise ValueError(f"{path} {what}: it is not a pickle or zip file")
    try:
        state = read_paddle_file(path)
    except UnsafeFileError:
        raise
    except DamagedFileError as exc:
        raise ValueError(f"{path} {what}, or it is damaged ({exc})") from exc
    if not isinstance(state, Mapping) or not state:
        raise ValueError(f"{path} holds a {type(state).__name__}{' (empty)' if not state else ''}, "
                         "not a state dict of tensors")
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    if not arrays:
        raise ValueError(f"{path} holds a dict without tensors (keys {list(state)[:5]}), not a state dict")
    return arrays


def _source_of(path_or_state, source: Optional[str]) -> str:
    if source is not None:
        return source
    return os.fspath(path_or_state) if isinstance(path_or_state, (str, os.PathLike)) else "state dict"


def _as_array(value) -> np.ndarray:
    return value.numpy() if hasattr(value, "numpy") and not isinstance(value, np.ndarray) else np.asarray(value)


def check_weights(net, path_or_state, source: Optional[str] = None, options=None) -> dict[str, np.ndarray]:
    """The state for ``net`` in Paddle's layout, checked key by key and shape by shape
    against ``net``'s own state; nothing is loaded. ``path_or_state``: a file (as
    :func:`load_state_file` reads) or a mapping (a :class:`TorchState` is mapped from torch's
    layout). ``options``: the INADEConfig ``net`` was built from (default: ``net.cfg`` when
    it has one), used to name the likely option in the error.

    Raises: WeightMismatchError naming ``source`` (default: the file), the network, the
    missing, unexpected and mis-shaped keys (a few of each), and the likely option.
    """
    source = _source_of(path_or_state, source)
    state = (load_state_file(path_or_state) if isinstance(path_or_state, (str, os.PathLike))
             else path_or_state)
    if isinstance(state, TorchState):
        from .convert.name_map import torch_to_paddle_layout
        state = torch_to_paddle_layout(net, state)
    state = {k: _as_array(v) for k, v in state.items()}
    own = {k: list(v.shape) for k, v in net.state_dict().items()}
    diff = StateDiff.of(own, state)
    if diff:
        from .convert.family import family_hint
        options = options if options is not None else getattr(net, "cfg", None)
        raise WeightMismatchError(diff.message(source, type(net).__name__, options,
                                               hint=family_hint(net, state) or None))
    return state


def load_weights(net, path_or_state, source: Optional[str] = None, options=None):
    """Load ``path_or_state`` into ``net`` strictly (see :func:`check_weights`): every key
    of the network with its shape, no other key; nothing is changed when anything differs.
    Values are cast to the network's dtypes. Returns ``net``."""
    state = check_weights(net, path_or_state, source, options)
    for key, tensor in net.state_dict().items():
        tensor.set_value(state[key].astype(str(tensor.dtype).replace("paddle.", ""), copy=False))
    return net


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


# --------------------------------------------------------------------------- saved options
@dataclass
class SavedOptions:
    """The options saved beside a checkpoint, in this package's groups.

    ``path``: the file read; ``model``/``data``/``train``: options by group (typed);
    ``original``: options of the original's ``opt.txt`` that have no field here (e.g. ``netG``),
    as written there.
    """

    path: str
    model: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    original: dict = field(default_factory=dict)

    def flat(self) -> dict:
        return {**self.train, **self.data, **self.model}


def read_saved_options(folder: PathLike) -> Optional[SavedOptions]:
    """The options saved in a run folder: ``opt.yaml`` (this package) or else ``opt.txt``
    (the original's dump); None when the folder has neither (e.g. released checkpoints).

    Raises: ValueError naming the file when it cannot be read as such.
    """
    for name in ("opt.yaml", "opt.txt"):
        path = os.path.join(os.fspath(folder), name)
        if os.path.isfile(path):
            saved = read_options_file(path)
            if name == "opt.yaml" and not saved.model:
                raise ValueError(f"{path}: not an options file written by paddle_inade's trainer "
                                 "(no 'model' section)")
            return saved
    return None


def read_options_file(path: PathLike) -> SavedOptions:
    """Options from a file: YAML, flat or in ``model``/``data``/``train`` sections (what
    ``opt.yaml`` holds), or the original's ``opt.txt`` (recognised by its ``.txt`` name).
    An option of two groups (``label_nc``: model and data) lands in both; the original's
    options without a field here go to ``original``; any other key is a ValueError naming it.
    """
    from .original_options import parse_opt_txt, sort_options
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such options file")
    if path.endswith(".txt"):
        return parse_opt_txt(path)
    import yaml
    try:
        with open(path, encoding="utf-8") as fh:
            content = yaml.safe_load(fh) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a mapping of options, got {type(content).__name__}")
    flat = {}
    for key, value in content.items():
        if key in ("model", "data", "train") and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return sort_options(flat, path)


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
