"""Reading weight files (``.pdparams`` or the original's ``.pth``) and loading them strictly.

:func:`load_state_file` reads a Paddle state dict or a PyTorch checkpoint (the latter without
torch, through :mod:`paddle_inade.convert.torch_reader`); :func:`load_weights` is the one strict
loader (every key, every shape, or nothing is loaded; the error names the keys and, when the
pattern is recognised, the option that likely differs: :mod:`.state_diff`);
:func:`load_torch_weights` loads torch weights the same way.
"""
from __future__ import annotations

import collections
import os
from typing import Mapping, Optional, Union

import numpy as np

from .safe_pickle import DamagedFileError, UnsafeFileError, read_paddle_file
from .state_diff import StateDiff

PathLike = Union[str, os.PathLike]


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


def load_torch_weights(layer, path_or_dict: Union[PathLike, Mapping[str, np.ndarray]]):
    """Load torch weights (a ``.pth`` path, or a state dict of arrays in torch's layout) into
    ``layer``, strictly: :func:`load_weights`. Returns ``layer``."""
    if not isinstance(path_or_dict, (str, os.PathLike)):
        path_or_dict = TorchState(path_or_dict)
    return load_weights(layer, path_or_dict, source=None if isinstance(path_or_dict, (str, os.PathLike))
                        else "torch state dict")
