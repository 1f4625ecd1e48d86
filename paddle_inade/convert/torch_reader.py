"""Read ``torch.save`` checkpoints without torch and without running code from the file.

The zip format (torch >= 1.6) holds ``<archive>/data.pkl``, a pickle whose tensors
refer by persistent id to raw storages ``<archive>/data/<key>``. The legacy format
(torch < 1.6, e.g. the 2018 releases of pytorch-AdaIN) is one stream: four pickles
(magic number, protocol version, system info, the object) then a pickled list of
storage keys, then each storage as an int64 element count and its raw bytes.

We unpickle through :mod:`paddle_inade.safe_pickle` with an allow-list: ``collections.OrderedDict``,
``_codecs.encode`` (latin-1 only), torch's tensor/parameter rebuild functions
(``torch._utils._rebuild_tensor_v2``, ``_rebuild_tensor``, ``_rebuild_parameter``) and storage
classes (``torch.FloatStorage`` ...), each mapped to a small function of ours that builds NumPy
arrays. A file naming any other global (``os.system``, ``builtins.eval``, ...) is refused with
:class:`UnsafeCheckpointError` before anything in it is built.
"""
from __future__ import annotations

import collections
import io
import os
import pickle
import pickletools
import struct
import zipfile
from typing import Any

import numpy as np

from ..safe_pickle import DamagedFileError, UnsafeFileError, codecs_encode, load_restricted


class CheckpointFormatError(DamagedFileError):
    """The file is missing, truncated, corrupt or not a PyTorch checkpoint."""


UnsafeCheckpointError = UnsafeFileError  # the checkpoint's pickle names a global off the allow-list


_STORAGE_DTYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "BFloat16Storage": "bfloat16", "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _StorageType:
    """Marker for ``torch.<X>Storage`` globals: only carries the dtype."""

    def __init__(self, name: str):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _LegacyStorage:
    """A storage of a legacy file, read after the object pickle: ``(key, dtype, offset, numel)``
    of the slice (old torch pickled views of storages as slices of a root storage)."""

    def __init__(self, key: str, dtype, offset: int, numel: int):
        self.key, self.dtype, self.offset, self.numel = key, dtype, offset, numel


class _DeferredTensor:
    """A tensor whose legacy storage is not read yet: the rebuild arguments."""

    def __init__(self, storage: _LegacyStorage, args: tuple):
        self.storage, self.args = storage, args


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    """Array [*size] viewed from a flat storage with torch's (element) strides, copied."""
    if isinstance(storage, _LegacyStorage):
        return _DeferredTensor(storage, (storage_offset, size, stride))
    size, stride = tuple(size), tuple(stride)
    if not size:
        return np.array(storage[storage_offset])
    needed = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
    if min(size) > 0 and needed > storage.size:
        raise CheckpointFormatError(f"damaged checkpoint: a tensor of size {size} needs {needed} elements, "
                                    f"its storage has {storage.size}")
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[storage_offset:], shape=size,
                                           strides=[s * item for s in stride], writeable=False)
    return np.ascontiguousarray(view)


def _rebuild_tensor(storage, storage_offset, size, stride):
    """torch < 0.4's rebuild function (same arguments, no flags)."""
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *extra):
    return data


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("_codecs", "encode"): codecs_encode,
}


_TORCH_GLOBALS = {**_ALLOWED, **{("torch", name): _StorageType(name) for name in _STORAGE_DTYPES}}


def _unpickle(data: bytes, load_storage, source: str) -> Any:
    """The object in a torch pickle, through the allow-list (nothing in it runs): see
    :mod:`paddle_inade.safe_pickle`; storages come from ``load_storage``."""
    def persistent_load(pid):
        kind = pid[0].decode("ascii") if isinstance(pid, tuple) and pid and isinstance(pid[0], bytes) \
            else (pid[0] if isinstance(pid, tuple) and pid else None)
        if not (kind == "storage" and len(pid) >= 5):
            raise CheckpointFormatError(f"{source}: unknown persistent id {pid!r} (a checkpoint "
                                        "of tensors has only storages)")
        storage_type, key, _location, numel = pid[1], pid[2], pid[3], pid[4]
        if not isinstance(storage_type, _StorageType):
            raise CheckpointFormatError(f"{source}: unsupported storage {storage_type!r}")
        view = pid[5] if len(pid) > 5 else None
        key = key.decode("ascii") if isinstance(key, bytes) else str(key)
        return load_storage(key, storage_type.dtype, int(numel), view)

    return load_restricted(data, _TORCH_GLOBALS, source, persistent_load)


def _storage_reader(archive: zipfile.ZipFile, prefix: str, source: str, little_endian: bool):
    cache: dict[str, np.ndarray] = {}

    def load(key: str, dtype, numel: int, view=None) -> np.ndarray:
        if view is not None:
            raise CheckpointFormatError(f"{source}: storage view {view!r} in a zip checkpoint")
        if key in cache:
            return cache[key]
        name = f"{prefix}data/{key}"
        try:
            raw = archive.read(name)
        except KeyError:
            raise CheckpointFormatError(f"{source}: storage '{name}' is missing") from None
        array = _decode_storage(raw, dtype, little_endian)
        if array.size < numel:
            raise CheckpointFormatError(f"{source}: storage '{name}' has {array.size} elements, "
                                        f"expected {numel} (truncated?)")
        cache[key] = array
        return array

    return load


def _decode_storage(raw: bytes, dtype, little_endian: bool) -> np.ndarray:
    """Raw storage bytes -> a flat array of ``dtype`` in native byte order."""
    if dtype == "bfloat16":
        bits = np.frombuffer(raw, dtype="<u2" if little_endian else ">u2").astype(np.uint32)
        return (bits << 16).view(np.float32)
    np_dtype = np.dtype(dtype).newbyteorder("<" if little_endian else ">")
    return np.frombuffer(raw, dtype=np_dtype).astype(np.dtype(dtype), copy=False)


def _read_zip(path: str) -> Any:
    """A zip (torch >= 1.6) checkpoint; every failure, also a damaged archive, names ``path``."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _read_archive(archive, path)
    except UnsafeCheckpointError:
        raise
    except DamagedFileError as exc:
        if str(exc).startswith(path):
            raise CheckpointFormatError(str(exc)) from exc
        raise CheckpointFormatError(f"{path}: {exc}") from exc
    except (zipfile.BadZipFile, EOFError, pickle.UnpicklingError, ValueError, TypeError, KeyError,
            IndexError, AttributeError, OSError, UnicodeDecodeError) as exc:
        raise CheckpointFormatError(f"{path}: corrupt or not a zip checkpoint "
                                    f"({type(exc).__name__}: {exc})") from exc


def _read_archive(archive: zipfile.ZipFile, path: str) -> Any:
    pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
    if len(pickles) != 1:
        raise CheckpointFormatError(f"{path}: expected one data.pkl in the archive, found {len(pickles)}")
    prefix = pickles[0][: -len("data.pkl")]
    little = True
    if f"{prefix}byteorder" in set(archive.namelist()):
        little = archive.read(f"{prefix}byteorder").decode().strip() != "big"
    loader = _storage_reader(archive, prefix, path, little)
    return _unpickle(archive.read(pickles[0]), loader, path)


LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


def _no_storage(key, dtype, numel, view=None):
    raise CheckpointFormatError(f"unexpected storage {key!r} outside the object pickle")


def _pickle_end(raw: bytes, start: int) -> int:
    """Offset just past the pickle starting at ``start`` (found by walking its opcodes,
    nothing is executed)."""
    for opcode, _arg, pos in pickletools.genops(io.BytesIO(raw[start:])):
        if opcode.name == "STOP":
            return start + pos + 1
    raise ValueError("pickle without STOP")


def _legacy_storages(stream: io.BytesIO, keys, wanted: dict, little: bool, path: str) -> dict:
    """{key: flat array} from the records after the key list (count int64, raw bytes)."""
    count_fmt = "<q" if little else ">q"
    out = {}
    for key in keys:
        key = key.decode("ascii") if isinstance(key, bytes) else str(key)
        if key not in wanted:
            raise CheckpointFormatError(f"{path}: storage '{key}' is listed but no tensor uses it")
        dtype = wanted[key]
        head = stream.read(8)
        if len(head) < 8:
            raise CheckpointFormatError(f"{path}: storage '{key}' is missing (truncated file)")
        numel = struct.unpack(count_fmt, head)[0]
        itemsize = 2 if dtype == "bfloat16" else np.dtype(dtype).itemsize
        raw = stream.read(numel * itemsize)
        if numel < 0 or len(raw) < numel * itemsize:
            raise CheckpointFormatError(f"{path}: storage '{key}' has {len(raw) // itemsize} of its "
                                        f"{numel} elements (truncated file)")
        out[key] = _decode_storage(raw, dtype, little)
    missing = sorted(set(wanted) - set(out))
    if missing:
        raise CheckpointFormatError(f"{path}: storages {missing[:5]} are used but not stored")
    return out


def _materialize(obj, storages: dict):
    """Replace the deferred tensors in ``obj`` (nested dicts/lists/tuples) by arrays."""
    if isinstance(obj, _DeferredTensor):
        st = obj.storage
        flat = storages[st.key][st.offset:st.offset + st.numel]
        return _rebuild_tensor_v2(flat, *obj.args)
    if isinstance(obj, dict):
        return type(obj)((k, _materialize(v, storages)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialize(v, storages) for v in obj)
    return obj


def _read_legacy(path: str) -> Any:
    """A legacy (torch < 1.6) checkpoint; see the module doc for the layout."""
    with open(path, "rb") as fh:
        raw = fh.read()
    stream = io.BytesIO(raw)
    wanted: dict[str, Any] = {}

    def lazy_storage(key, dtype, numel, view=None):
        if wanted.setdefault(key, dtype) != dtype:
            raise CheckpointFormatError(f"{path}: storage '{key}' used with two element types")
        if view is None:
            return _LegacyStorage(key, dtype, 0, numel)
        view_key, offset, view_numel = view  # old torch: a slice of the root storage
        return _LegacyStorage(key, dtype, int(offset), int(view_numel))

    def plain(loader=_no_storage):
        start = stream.tell()
        end = _pickle_end(raw, start)
        stream.seek(end)
        return _unpickle(raw[start:end], loader, path)

    try:
        if plain() != LEGACY_MAGIC:
            raise CheckpointFormatError(f"{path}: not a torch checkpoint (neither a zip archive nor "
                                        "a legacy torch file with its magic number)")
        if plain() != LEGACY_PROTOCOL:
            raise CheckpointFormatError(f"{path}: legacy torch checkpoint of an unknown protocol version")
        info = plain()
        little = not isinstance(info, dict) or bool(info.get("little_endian", True))
        obj = plain(lazy_storage)
        keys = plain()
        storages = _legacy_storages(stream, keys, wanted, little, path)
        return _materialize(obj, storages)
    except (CheckpointFormatError, UnsafeCheckpointError):
        raise
    except DamagedFileError as exc:
        raise CheckpointFormatError(str(exc)) from exc
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, KeyError, IndexError,
            AttributeError, struct.error) as exc:
        raise CheckpointFormatError(f"{path}: not a readable legacy (pre-1.6) torch checkpoint "
                                    f"({type(exc).__name__}: {exc})") from exc


def _flatten_state(obj: Any, path: str) -> "collections.OrderedDict[str, np.ndarray]":
    """The state dict inside ``obj``: a flat mapping, or one under 'state_dict' / 'model' /
    'net' / 'params'; DataParallel's 'module.' prefixes are removed."""
    if isinstance(obj, dict):
        for key in ("state_dict", "model", "net", "params"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not any(isinstance(v, np.ndarray) for v in obj.values()):
        raise CheckpointFormatError(f"{path}: no state dict of tensors found in the checkpoint")
    out = collections.OrderedDict()
    for key, value in obj.items():
        if isinstance(value, np.ndarray):
            out[key[len("module."):] if key.startswith("module.") else key] = value
    return out


def read_torch_checkpoint(path: str) -> "collections.OrderedDict[str, np.ndarray]":
    """Return the state dict stored by ``torch.save`` at ``path`` as NumPy arrays.

    Raises:
        CheckpointFormatError: missing, truncated or corrupt file, or no tensors in it.
        UnsafeCheckpointError: the pickle refers to globals other than tensors/containers.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointFormatError(f"{path}: no such file")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    obj = _read_zip(path) if magic[:2] == b"PK" else _read_legacy(path)
    return _flatten_state(obj, path)
