"""Map a torch state dict onto the layout of a Paddle network of this package.

The networks here keep torch's state names (spectral ``weight_orig/u/v``, the
param-free norms' ``running_mean/var`` and ``num_batches_tracked``), so the mapping
is the identity except for layouts and Paddle's own layers:

* ``paddle.nn.Linear.weight`` is [in, out], torch's [out, in]: transposed;
* Paddle's BatchNorm layers (affine D/E norms) call the running statistics
  ``_mean`` / ``_variance``; torch's ``num_batches_tracked`` has no counterpart
  there and is dropped.

Nothing is checked here: :func:`paddle_inade.weights.load_weights` (which calls this for a
``.pth``) compares every key and shape with the network's.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
from paddle import nn

_BN_TYPES = (nn.BatchNorm, nn.BatchNorm1D, nn.BatchNorm2D, nn.BatchNorm3D, nn.SyncBatchNorm)
_BN_RENAME = {"running_mean": "_mean", "running_var": "_variance"}


def _layer_kinds(layer: nn.Layer) -> tuple[set, set]:
    linear, batchnorm = set(), set()
    for name, sub in layer.named_sublayers(include_self=True):
        if isinstance(sub, nn.Linear):
            linear.add(name)
        elif isinstance(sub, _BN_TYPES):
            batchnorm.add(name)
    return linear, batchnorm


def torch_to_paddle_layout(layer: nn.Layer, torch_state: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``torch_state`` with ``layer``'s Paddle names and layouts (Linear weights transposed,
    BatchNorm statistics renamed, its ``num_batches_tracked`` dropped). Keys that ``layer``
    lacks pass through unchanged, so a strict check can report them."""
    linear, batchnorm = _layer_kinds(layer)
    state = {}
    for key, value in torch_state.items():
        owner, _, leaf = key.rpartition(".")
        value = np.asarray(value)
        if owner in batchnorm:
            if leaf == "num_batches_tracked":
                continue
            key = f"{owner}.{_BN_RENAME.get(leaf, leaf)}" if owner else _BN_RENAME.get(leaf, leaf)
        if owner in linear and leaf == "weight" and value.ndim == 2:
            value = value.T
        state[key] = value
    return state
