"""The one reader for pickle-based files (``paddle.save``'s ``.pdparams`` / ``.pdopt``, the
pickles inside ``torch.save``'s files, the trainer state of older runs): nothing in the file runs.

A pickle can name any importable function and call it (``os.system``, ``builtins.eval``);
``pickle.load`` and ``paddle.load`` do so. Here every file is read in two passes:

1. :func:`scan_globals` walks the opcodes without building anything and refuses the file when
   it names a global outside the allow-list (or names one in a way that cannot be read
   statically, or uses the copyreg extension registry);
2. :class:`RestrictedUnpickler` builds the objects, its ``find_class`` again handing out only
   the allow-listed stand-ins.

The allow-lists map a global to a small function of ours, never to the real object: NumPy
arrays are rebuilt by :class:`_ArrayRecord` from their raw bytes with a checked dtype (booleans,
integers, floats and complex numbers only; no object or structured arrays), so a file can
hold containers, numbers, strings, bytes and arrays, nothing else.

:data:`PADDLE_GLOBALS` are the globals ``paddle.save`` (Paddle 2.1 to 3.x, NumPy 1 and 2)
writes for state dicts and optimiser states: ``numpy.core.multiarray._reconstruct`` /
``numpy._core.multiarray._reconstruct``, ``numpy.ndarray``, ``numpy.dtype``,
``numpy.core.multiarray.scalar`` (a NumPy scalar), ``builtins.tuple`` (a Paddle tensor is
saved as ``tuple((name, array))``), ``_codecs.encode`` (latin-1 only: how protocol 2 spells
bytes) and ``collections.OrderedDict``. Nothing else.
"""
from __future__ import annotations

import collections
import io
import pickle
import pickletools
from typing import Any, Callable, Mapping, Optional

import numpy as np


class UnsafeFileError(ValueError):
    """The file names a global outside the allow-list: it could run code, and is not read."""


class DamagedFileError(ValueError):
    """The file is truncated, corrupt, or not of the expected kind."""


Allowed = Mapping[tuple[str, str], Any]

_SAFE_KINDS = "biufc"  # bool, signed, unsigned, float, complex


# --------------------------------------------------------------------------- NumPy stand-ins
class _DTypeRecord:
    """``numpy.dtype(code, align, copy)`` then ``BUILD`` with its state: only the byte order
    of a plain dtype is taken from the state."""

    def __init__(self, code, align=False, copy=True):
        if not isinstance(code, str):
            raise DamagedFileError(f"dtype code {code!r} is not a string")
        dtype = np.dtype(code)
        if dtype.kind not in _SAFE_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise UnsafeFileError(f"refusing an array of dtype {code!r} (only booleans, integers, "
                                  "floats and complex numbers are read)")
        self.dtype = dtype

    def __setstate__(self, state):
        if not (isinstance(state, tuple) and len(state) >= 5 and state[2:5] == (None, None, None)):
            raise UnsafeFileError(f"refusing a structured or sub-array dtype state {state!r:.80}")
        if state[1] in ("<", ">"):
            self.dtype = self.dtype.newbyteorder(state[1])


class _ArrayRecord:
    """``numpy.core.multiarray._reconstruct(ndarray, shape, b'b')`` then ``BUILD`` with
    ``(version, shape, dtype, is_fortran, raw bytes)``: the array is made from the bytes."""

    def __init__(self, *_args):
        self.array: Optional[np.ndarray] = None

    def __setstate__(self, state):
        if not (isinstance(state, tuple) and len(state) == 5):
            raise DamagedFileError("an array's state is not (version, shape, dtype, order, data)")
        _version, shape, dtype, fortran, raw = state
        self.array = _array_from(shape, dtype, raw, "F" if fortran else "C")


def _array_from(shape, dtype, raw, order: str) -> np.ndarray:
    if not isinstance(dtype, _DTypeRecord):
        raise UnsafeFileError("an array whose dtype is not a plain numpy.dtype")
    if not isinstance(raw, (bytes, bytearray)):
        raise UnsafeFileError("an array whose data are Python objects, not raw bytes")
    if not (isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise DamagedFileError(f"an array of shape {shape!r}")
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) != count * dtype.dtype.itemsize:
        raise DamagedFileError(f"an array of shape {shape} has {len(raw)} bytes of data "
                               f"({count * dtype.dtype.itemsize} expected)")
    flat = np.frombuffer(bytes(raw), dtype=dtype.dtype)
    return flat.reshape(shape, order=order).astype(dtype.dtype.newbyteorder("="), copy=True)


def _reconstruct(subtype, shape, typecode):
    if subtype is not _NDARRAY:
        raise UnsafeFileError("_reconstruct of a class other than numpy.ndarray")
    return _ArrayRecord()


def _scalar(dtype, raw):
    return _array_from((), dtype, raw, "C")[()]


def _frombuffer(buffer, dtype, shape, order):
    return _array_from(tuple(shape), dtype, buffer, order)


_NDARRAY = object()  # what numpy.ndarray resolves to: only an argument of _reconstruct


def codecs_encode(text, encoding="latin1"):
    """``_codecs.encode`` as protocol-2 pickles use it for bytes: latin-1 text only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafeFileError("unexpected use of _codecs.encode in the pickle")
    return text.encode("latin1")


def _tuple(items=()):
    if not isinstance(items, (list, tuple)):
        raise UnsafeFileError("builtins.tuple of something other than a list or tuple")
    return tuple(items)


NUMPY_GLOBALS: dict[tuple[str, str], Any] = {
    **{(module, "_reconstruct"): _reconstruct
       for module in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(module, "scalar"): _scalar for module in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(module, "_frombuffer"): _frombuffer for module in ("numpy.core.numeric", "numpy._core.numeric")},
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _DTypeRecord,
}

PADDLE_GLOBALS: dict[tuple[str, str], Any] = {
    **NUMPY_GLOBALS,
    ("builtins", "tuple"): _tuple,
    ("__builtin__", "tuple"): _tuple,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("_codecs", "encode"): codecs_encode,
}


# --------------------------------------------------------------------------- pass 1: the scan
_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
               "BINSTRING", "SHORT_BINSTRING"}
_EXTENSION_OPS = {"EXT1", "EXT2", "EXT4"}


def scan_globals(data: bytes, allowed: Allowed, source: str, persistent: bool = False) -> set:
    """Every global the pickle ``data`` names, checked against ``allowed`` before anything
    is built. Raises UnsafeFileError naming ``source`` and the global (or the opcode) refused;
    DamagedFileError when the opcodes cannot be read."""
    pushed: list = []       # the last values pushed, as far as the scan needs them: strings
    memo: dict = {}
    seen = set()
    try:
        for opcode, arg, _pos in pickletools.genops(io.BytesIO(data)):
            name = opcode.name
            if name in ("GLOBAL", "INST"):
                module, _, attr = arg.partition(" ")
                seen.add(_check(module, attr, allowed, source))
            elif name == "STACK_GLOBAL":
                if len(pushed) < 2 or not all(isinstance(v, str) for v in pushed[-2:]):
                    raise UnsafeFileError(f"{source}: refusing a global whose name is not spelled "
                                          "out in the file (the file may be malicious)")
                seen.add(_check(pushed[-2], pushed[-1], allowed, source))
            elif name in _EXTENSION_OPS:
                raise UnsafeFileError(f"{source}: refusing the pickle opcode {name} (a global by "
                                      "extension code; the file may be malicious)")
            elif name in ("PERSID", "BINPERSID") and not persistent:
                raise UnsafeFileError(f"{source}: refusing a persistent id (not a file of plain "
                                      "values and arrays)")
            _track(name, arg, pushed, memo)
    except (ValueError, EOFError) as exc:
        if isinstance(exc, UnsafeFileError):
            raise
        raise DamagedFileError(f"{source}: not a readable pickle ({exc})") from exc
    return seen


def _track(name: str, arg, pushed: list, memo: dict) -> None:
    """Follow just enough of the stack to know the two strings before a STACK_GLOBAL."""
    if name in _STRING_OPS:
        pushed.append(arg if isinstance(arg, str) else arg.decode("latin1"))
    elif name == "MEMOIZE":
        memo[len(memo)] = pushed[-1] if pushed else None
    elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
        memo[int(arg)] = pushed[-1] if pushed else None
    elif name in ("BINGET", "LONG_BINGET", "GET"):
        pushed.append(memo.get(int(arg)))
    elif name not in ("FRAME", "PROTO"):
        pushed.append(None)
    del pushed[:-2]


def _check(module: str, attr: str, allowed: Allowed, source: str) -> tuple[str, str]:
    if (module, attr) not in allowed:
        raise UnsafeFileError(f"{source}: refusing to load '{module}.{attr}' from the pickle; a weights "
                              "or state file holds only tensors, numbers, strings and containers "
                              "(the file may be malicious, or it was not written by torch.save / "
                              "paddle.save)")
    return module, attr


# --------------------------------------------------------------------------- pass 2: the build
class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` hands out only ``allowed``'s stand-ins."""

    def __init__(self, data: bytes, allowed: Allowed, source: str,
                 persistent_load: Optional[Callable[[Any], Any]] = None):
        super().__init__(io.BytesIO(data))
        self._allowed, self._source, self._persistent = allowed, source, persistent_load

    def find_class(self, module: str, name: str):
        return self._allowed[_check(module, name, self._allowed, self._source)]

    def persistent_load(self, pid):
        if self._persistent is None:
            raise UnsafeFileError(f"{self._source}: refusing a persistent id {pid!r:.60}")
        return self._persistent(pid)


def load_restricted(data: bytes, allowed: Allowed, source: str,
                    persistent_load: Optional[Callable[[Any], Any]] = None) -> Any:
    """The object pickled in ``data``, built from ``allowed``'s stand-ins only (both passes);
    NumPy arrays come back as arrays. Raises UnsafeFileError / DamagedFileError naming ``source``."""
    scan_globals(data, allowed, source, persistent=persistent_load is not None)
    try:
        obj = RestrictedUnpickler(data, allowed, source, persistent_load).load()
    except (UnsafeFileError, DamagedFileError) as exc:  # raised by a stand-in: add the file's name
        if str(exc).startswith(source):
            raise
        raise type(exc)(f"{source}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError,
            AttributeError, MemoryError, RecursionError) as exc:
        raise DamagedFileError(f"{source}: damaged file ({type(exc).__name__}: {exc})") from exc
    try:
        return resolve_records(obj, source)
    except RecursionError as exc:
        raise DamagedFileError(f"{source}: nested too deeply to be a state file") from exc


def resolve_records(obj: Any, source: str) -> Any:
    """``obj`` with every array stand-in replaced by its array (dicts, lists, tuples walked)."""
    if isinstance(obj, _ArrayRecord):
        if obj.array is None:
            raise DamagedFileError(f"{source}: an array without its data")
        return obj.array
    if isinstance(obj, (_DTypeRecord,)):
        return obj.dtype
    if isinstance(obj, dict):
        out = type(obj)() if isinstance(obj, collections.OrderedDict) else {}
        for key, value in obj.items():
            out[key] = resolve_records(value, source)
        return out
    if isinstance(obj, list):
        return [resolve_records(v, source) for v in obj]
    if isinstance(obj, tuple):
        return tuple(resolve_records(v, source) for v in obj)
    return obj


# --------------------------------------------------------------------------- paddle.save's files
_PADDLE_NAMES = "StructuredToParameterName@@"
_PADDLE_SLICES = "UnpackBigParamInfor@@"  # paddle.save's spelling


def read_paddle_file(path: str) -> Any:
    """What ``paddle.save`` wrote to ``path``, as ``paddle.load(path, return_numpy=True)`` gives
    it (tensors as NumPy arrays, the parameter-name table dropped, big arrays saved in slices
    joined), read through the allow-list (:data:`PADDLE_GLOBALS`); nothing in the file runs.
    Raises UnsafeFileError / DamagedFileError naming the file."""
    with open(path, "rb") as fh:
        data = fh.read()
    if not data.startswith(b"\x80"):
        raise DamagedFileError(f"{path}: not a pickle (paddle.save writes one)")
    return _paddle_values(load_restricted(data, PADDLE_GLOBALS, path), path)


def _paddle_values(obj: Any, path: str) -> Any:
    if isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[0], str) and isinstance(obj[1], np.ndarray):
        return obj[1]  # a tensor: (name, value)
    if isinstance(obj, dict):
        obj = {k: _paddle_values(v, path) for k, v in obj.items() if k != _PADDLE_NAMES}
        return _join_slices(obj, path) if _PADDLE_SLICES in obj else obj
    if isinstance(obj, list):
        return [_paddle_values(v, path) for v in obj]
    return obj


def _join_slices(state: dict, path: str) -> dict:
    """paddle.save (protocols 2 and 3) splits arrays over 4 GB into ``key@@.<i>`` slices."""
    info = state.pop(_PADDLE_SLICES)
    try:
        for key, entry in info.items():
            state[key] = np.concatenate([state.pop(part) for part in entry["slices"]]).reshape(
                entry["OriginShape"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DamagedFileError(f"{path}: damaged table of sliced arrays ({exc})") from exc
    return state
