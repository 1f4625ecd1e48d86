"""Read ``torch.save`` checkpoints without torch and without running code from the file.

The zip format (torch >= 1.6) holds ``<archive>/data.pkl``, a pickle whose tensors
refer by persistent id to raw storages ``<archive>/data/<key>``. We unpickle it with
an allow-list: ``collections.OrderedDict``, torch's tensor/parameter rebuild functions
and storage classes, each mapped to a small function of ours that builds NumPy arrays.
Any other global (``os.system``, ``builtins.eval``, ...) raises
:class:`UnsafeCheckpointError` before anything is called.
"""
from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile
from typing import Any

import numpy as np


class CheckpointFormatError(ValueError):
    """The file is missing, truncated, corrupt or not a PyTorch checkpoint."""


class UnsafeCheckpointError(ValueError):
    """The checkpoint's pickle refers to something other than tensors and containers."""


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


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    """Array [*size] viewed from a flat storage with torch's (element) strides, copied."""
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


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *extra):
    return data


def _codecs_encode(text, encoding="latin1"):
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafeCheckpointError("unexpected use of _codecs.encode in the pickle")
    return text.encode("latin1")


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("_codecs", "encode"): _codecs_encode,
}


class _SafeUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, load_storage, source: str):
        super().__init__(io.BytesIO(data))
        self._load_storage = load_storage
        self._source = source

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise UnsafeCheckpointError(
            f"{self._source}: refusing to load '{module}.{name}' from the pickle; a weights file "
            "should hold only tensors and containers (the file may be malicious)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise CheckpointFormatError(f"{self._source}: unknown persistent id {pid!r}")
        storage_type, key, _location, numel = pid[1], pid[2], pid[3], pid[4]
        if not isinstance(storage_type, _StorageType):
            raise CheckpointFormatError(f"{self._source}: unsupported storage {storage_type!r}")
        return self._load_storage(str(key), storage_type.dtype, int(numel))


def _storage_reader(archive: zipfile.ZipFile, prefix: str, source: str, little_endian: bool):
    cache: dict[str, np.ndarray] = {}

    def load(key: str, dtype, numel: int) -> np.ndarray:
        if key in cache:
            return cache[key]
        name = f"{prefix}data/{key}"
        try:
            raw = archive.read(name)
        except KeyError:
            raise CheckpointFormatError(f"{source}: storage '{name}' is missing") from None
        if dtype == "bfloat16":
            bits = np.frombuffer(raw, dtype="<u2" if little_endian else ">u2").astype(np.uint32)
            array = (bits << 16).view(np.float32)
        else:
            np_dtype = np.dtype(dtype).newbyteorder("<" if little_endian else ">")
            array = np.frombuffer(raw, dtype=np_dtype).astype(np.dtype(dtype), copy=False)
        if array.size < numel:
            raise CheckpointFormatError(f"{source}: storage '{name}' has {array.size} elements, "
                                        f"expected {numel} (truncated?)")
        cache[key] = array
        return array

    return load


def _read_zip(path: str) -> Any:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CheckpointFormatError(f"{path}: not a readable zip checkpoint ({exc})") from exc
    with archive:
        pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
        if len(pickles) != 1:
            raise CheckpointFormatError(f"{path}: expected one data.pkl in the archive, "
                                        f"found {len(pickles)}")
        prefix = pickles[0][: -len("data.pkl")]
        names = set(archive.namelist())
        little = True
        if f"{prefix}byteorder" in names:
            little = archive.read(f"{prefix}byteorder").decode().strip() != "big"
        try:
            data = archive.read(pickles[0])
            loader = _storage_reader(archive, prefix, path, little)
            return _SafeUnpickler(data, loader, path).load()
        except UnsafeCheckpointError:
            raise
        except CheckpointFormatError as exc:
            if str(exc).startswith(path):
                raise
            raise CheckpointFormatError(f"{path}: {exc}") from exc
        except (zipfile.BadZipFile, EOFError, pickle.UnpicklingError, ValueError, TypeError,
                KeyError, IndexError, AttributeError, OSError) as exc:
            raise CheckpointFormatError(f"{path}: corrupt checkpoint ({type(exc).__name__}: {exc})") from exc


def _read_legacy(path: str) -> Any:
    try:
        import torch
    except ImportError:
        raise CheckpointFormatError(
            f"{path}: legacy (pre-1.6, non-zip) torch checkpoint; reading it needs torch "
            "installed, or re-save it with torch >= 1.6 (torch.save(torch.load(f), f))") from None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for bad files
        raise CheckpointFormatError(f"{path}: torch could not read it ({exc})") from exc
    return _tensors_to_numpy(obj)


def _tensors_to_numpy(obj):
    if hasattr(obj, "detach") and hasattr(obj, "numpy"):
        return obj.detach().cpu().numpy()
    if isinstance(obj, dict):
        return collections.OrderedDict((k, _tensors_to_numpy(v)) for k, v in obj.items())
    return obj


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
