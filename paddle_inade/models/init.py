"""Weight initialisation as the original's ``BaseNetwork.init_weights``.

Every Conv / Linear weight (incl. spectral ``weight_orig`` and InstanceAwareConv2d)
gets ``init_type`` with gain ``init_variance``, biases 0; affine BatchNorm weights
N(1, gain), biases 0. ILADE's class tables keep their own init (uniform(0, 1) and 0).
"""
from __future__ import annotations

import math

import paddle
from paddle import nn

from ..nn import InstanceAwareConv2d, SpectralConv2D


def _fans(weight: paddle.Tensor, linear: bool) -> tuple[int, int]:
    shape = list(weight.shape)
    if linear:  # paddle Linear weight is [in, out]
        return shape[0], shape[1]
    receptive = int(math.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _init_weight(weight: paddle.Tensor, init_type: str, gain: float, linear: bool) -> None:
    fan_in, fan_out = _fans(weight, linear)
    shape = list(weight.shape)
    if init_type == "normal":
        value = paddle.normal(0.0, gain, shape)
    elif init_type == "xavier":
        value = paddle.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), shape)
    elif init_type == "xavier_uniform":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        value = paddle.uniform(shape, min=-bound, max=bound)
    elif init_type == "kaiming":
        value = paddle.normal(0.0, math.sqrt(2.0 / fan_in), shape)
    elif init_type == "orthogonal":
        flat = paddle.normal(0.0, 1.0, [shape[0], int(math.prod(shape[1:]))] if not linear
                             else [shape[1], shape[0]])
        q, r = paddle.linalg.qr(flat.t() if flat.shape[0] < flat.shape[1] else flat)
        q = q * paddle.sign(paddle.diag(r)).unsqueeze(0)
        q = q.t() if flat.shape[0] < flat.shape[1] else q
        value = gain * (q.t() if linear else q).reshape(shape)
    else:
        raise ValueError(f"init_type {init_type!r} is not known")
    weight.set_value(value.astype(weight.dtype))


def init_weights(net: nn.Layer, init_type: str = "xavier", gain: float = 0.02) -> nn.Layer:
    """Initialise ``net`` in place (``init_type='none'`` keeps Paddle's defaults)."""
    if init_type == "none":
        return net
    for layer in net.sublayers(include_self=True):
        if isinstance(layer, (nn.BatchNorm2D, nn.SyncBatchNorm)) and layer.weight is not None:
            layer.weight.set_value(paddle.normal(1.0, gain, layer.weight.shape))
            layer.bias.set_value(paddle.zeros(layer.bias.shape))
            continue
        if isinstance(layer, SpectralConv2D):
            weight = layer.weight_orig
        elif isinstance(layer, (nn.Conv2D, nn.Linear, InstanceAwareConv2d)):
            weight = layer.weight
        else:
            continue
        _init_weight(weight, init_type, gain, isinstance(layer, nn.Linear))
        if getattr(layer, "bias", None) is not None:
            layer.bias.set_value(paddle.zeros(layer.bias.shape))
    return net
