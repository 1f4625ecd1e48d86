"""Map a torch state dict onto a Paddle network of this package, and load it.

The networks here keep torch's state names (spectral ``weight_orig/u/v``, the
param-free norms' ``running_mean/var`` and ``num_batches_tracked``), so the mapping
is the identity except for layouts and Paddle's own layers:

* ``paddle.nn.Linear.weight`` is [in, out], torch's [out, in]: transposed;
* Paddle's BatchNorm layers (affine D/E norms) call the running statistics
  ``_mean`` / ``_variance``; torch's ``num_batches_tracked`` has no counterpart
  there and is dropped.
"""
from __future__ import annotations

import os
from typing import Mapping, Union

import numpy as np
import paddle
from paddle import nn

from .torch_reader import read_torch_checkpoint

_BN_TYPES = (nn.BatchNorm, nn.BatchNorm1D, nn.BatchNorm2D, nn.BatchNorm3D, nn.SyncBatchNorm)
_BN_RENAME = {"running_mean": "_mean", "running_var": "_variance"}


class WeightMismatchError(ValueError):
    """Torch weights do not fit the network: lists every missing, unexpected or mis-shaped key."""


def _layer_kinds(layer: nn.Layer) -> tuple[set, set]:
    linear, batchnorm = set(), set()
    for name, sub in layer.named_sublayers(include_self=True):
        if isinstance(sub, nn.Linear):
            linear.add(name)
        elif isinstance(sub, _BN_TYPES):
            batchnorm.add(name)
    return linear, batchnorm


def _split(key: str) -> tuple[str, str]:
    owner, _, leaf = key.rpartition(".")
    return owner, leaf


def _summary(kind: str, items: list) -> str:
    shown = ", ".join(items[:20]) + (" ..." if len(items) > 20 else "")
    return f"{len(items)} {kind}: {shown}"


def torch_to_paddle_state(layer: nn.Layer, torch_state: Mapping[str, np.ndarray],
                          strict: bool = True, source: str = "torch state dict"):
    """Return ``(state, missing, unexpected)``: ``state`` maps the layer's own keys to arrays
    in Paddle's layout. With ``strict``, any missing, unexpected or mis-shaped key raises
    :class:`WeightMismatchError` listing all of them."""
    own = layer.state_dict()
    linear, batchnorm = _layer_kinds(layer)
    state, unexpected, shapes, mismatched = {}, [], [], set()
    for key, value in torch_state.items():
        owner, leaf = _split(key)
        if owner in batchnorm:
            if leaf == "num_batches_tracked":
                continue
            key = f"{owner}.{_BN_RENAME.get(leaf, leaf)}" if owner else _BN_RENAME.get(leaf, leaf)
        value = np.asarray(value)
        if owner in linear and leaf == "weight" and value.ndim == 2:
            value = value.T
        if key not in own:
            unexpected.append(key)
            continue
        if list(value.shape) != list(own[key].shape):
            shapes.append(f"{key} (file {list(value.shape)}, network {list(own[key].shape)})")
            mismatched.add(key)
            continue
        state[key] = value
    missing = [k for k in own if k not in state and k not in mismatched]
    if strict and (missing or unexpected or shapes):
        problems = [_summary(kind, items) for kind, items in
                    (("missing", missing), ("unexpected", unexpected), ("shape mismatches", shapes))
                    if items]
        from .family import family_hint
        raise WeightMismatchError(f"{source} does not fit {type(layer).__name__}: " + "; ".join(problems)
                                  + ". Check --net and the options (--preset/--config)."
                                  + family_hint(layer, torch_state, source))
    return state, missing, unexpected


def load_paddle_state(layer: nn.Layer, state: Mapping[str, np.ndarray], source: str) -> None:
    """Set every key of ``state`` (Paddle layout) into ``layer`` and verify it took."""
    own = layer.state_dict()
    for key, value in state.items():
        value = np.asarray(value if not isinstance(value, paddle.Tensor) else value.numpy())
        own[key].set_value(value.astype(own[key].numpy().dtype if own[key].dtype != paddle.int64
                                        else np.int64))
    for key, value in state.items():
        if not np.array_equal(np.asarray(own[key].numpy(), dtype=np.float64),
                              np.asarray(np.asarray(value), dtype=np.float64)):
            raise RuntimeError(f"{source}: '{key}' did not load into the network")


def load_torch_weights(layer: nn.Layer, path_or_dict: Union[str, os.PathLike, Mapping[str, np.ndarray]],
                       strict: bool = True):
    """Load torch weights (a ``.pth`` path or a state dict of arrays) into ``layer``.

    With ``strict`` nothing is loaded unless every key fits. Returns (missing, unexpected).
    """
    if isinstance(path_or_dict, (str, os.PathLike)):
        source = os.fspath(path_or_dict)
        torch_state = read_torch_checkpoint(source)
    else:
        source, torch_state = "torch state dict", path_or_dict
    state, missing, unexpected = torch_to_paddle_state(layer, torch_state, strict, source)
    load_paddle_state(layer, state, source)
    return missing, unexpected


def save_paddle_state(state: Mapping[str, np.ndarray], path: str) -> None:
    """``paddle.save`` a state dict to ``path`` atomically (temporary name, then rename)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        paddle.save({k: paddle.to_tensor(np.asarray(v)) for k, v in state.items()}, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
