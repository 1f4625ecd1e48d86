"""Write state dicts in torch.save's zip layout without torch (a stand-in for tests).

The pickle is assembled opcode by opcode (protocol 2, as torch writes it): an
OrderedDict of ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, hooks)`` calls whose storages are persistent ids
``('storage', torch.<X>Storage, key, 'cpu', numel)``. Checked by hand against
``torch.load`` (torch 2.13): files written here load there unchanged.
"""
from __future__ import annotations

import pickle
import struct
import zipfile

import numpy as np

_STORAGE = {np.dtype("float32"): "FloatStorage", np.dtype("float64"): "DoubleStorage",
            np.dtype("int64"): "LongStorage", np.dtype("int32"): "IntStorage",
            np.dtype("float16"): "HalfStorage", np.dtype("uint8"): "ByteStorage",
            np.dtype("bool"): "BoolStorage"}


def _global(module: str, name: str) -> bytes:
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def _str(text: str) -> bytes:
    raw = text.encode()
    return pickle.BINUNICODE + struct.pack("<I", len(raw)) + raw


def _int(value: int) -> bytes:
    return pickle.BININT + struct.pack("<i", value)


def _tuple(items: list[bytes]) -> bytes:
    return pickle.MARK + b"".join(items) + pickle.TUPLE


def _ordered_dict() -> bytes:
    return _global("collections", "OrderedDict") + pickle.EMPTY_TUPLE + pickle.REDUCE


def _tensor(key: str, array: np.ndarray) -> bytes:
    storage = _tuple([_str("storage"), _global("torch", _STORAGE[array.dtype]), _str(key),
                      _str("cpu"), _int(array.size)]) + pickle.BINPERSID
    stride = [s // array.itemsize for s in array.strides]
    args = _tuple([storage, _int(0), _tuple([_int(n) for n in array.shape]),
                   _tuple([_int(s) for s in stride]), pickle.NEWFALSE, _ordered_dict()])
    return _global("torch._utils", "_rebuild_tensor_v2") + args + pickle.REDUCE


def state_dict_pickle(state: dict) -> bytes:
    """Protocol-2 pickle bytes of an OrderedDict of tensors (storage keys '0', '1', ...)."""
    body = b"".join(_str(k) + _tensor(str(i), np.array(v, order="C"))
                    for i, (k, v) in enumerate(state.items()))
    return (pickle.PROTO + b"\x02" + _ordered_dict() + pickle.MARK + body + pickle.SETITEMS
            + pickle.STOP)


def malicious_pickle(command: str) -> bytes:
    """A pickle that would call ``os.system(command)`` if loaded with plain pickle."""
    return (pickle.PROTO + b"\x02" + _global("os", "system") + _tuple([_str(command)])
            + pickle.REDUCE + pickle.STOP)


def write_torch_zip(path, state: dict, archive: str = "archive",
                    pickle_bytes: bytes | None = None) -> None:
    """Write ``state`` ({key: ndarray}) like ``torch.save(state_dict, path)``; with
    ``pickle_bytes``, use those bytes as data.pkl instead (for malicious-file tests)."""
    arrays = [np.array(v, order="C") for v in state.values()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{archive}/data.pkl", pickle_bytes or state_dict_pickle(state))
        zf.writestr(f"{archive}/byteorder", "little")
        for i, array in enumerate(arrays):
            zf.writestr(f"{archive}/data/{i}", array.tobytes())
        zf.writestr(f"{archive}/version", "3\n")


def torch_layout_state(layer) -> dict:
    """A Paddle layer's state as the original's ``torch.save`` holds it (Linear weights
    [out, in]; this package's networks keep torch's names otherwise)."""
    import paddle
    linear = {name for name, sub in layer.named_sublayers() if isinstance(sub, paddle.nn.Linear)}
    out = {}
    for key, value in layer.state_dict().items():
        array = value.numpy()
        owner, _, leaf = key.rpartition(".")
        out[key] = array.T.copy() if owner in linear and leaf == "weight" else array
    return out
