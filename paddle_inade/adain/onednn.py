"""AdaIN's encoder and decoder on the CPU as Paddle Inference programs with oneDNN: the fast path.

Paddle's eager CPU convolutions are slow on AdaIN's wide 3x3 layers (a 512x512 transfer takes
longer than pytorch-AdaIN's); the same layers as :class:`~paddle_inade.nn.onednn_program.OneDNNProgram`
take a fraction of it (``benchmarks/bench_style_transfer.py``, ``benchmarks/README.md`` section 13).
:func:`encoder_part` and :func:`static_layers` give what the programs run, for any map size: the
padding and the upsampling written with ops that take any size (``StaticReflectionPad1``,
``StaticUpsample2x``; the same values as :mod:`.layers`). The eager networks stay the reference
and the path on GPUs.
"""
from __future__ import annotations

import paddle
from paddle import nn

from .layers import NearestUpsample2x, ReflectionPad1
from .vgg import ENCODER_LAYERS


class StaticReflectionPad1(nn.Layer):
    """:class:`~.layers.ReflectionPad1` for a program of any map size: [N, C, H, W] -> [N, C, H+2, W+2]."""

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = paddle.concat([x[:, :, 1:2], x, x[:, :, -2:-1]], axis=2)
        return paddle.concat([x[:, :, :, 1:2], x, x[:, :, :, -2:-1]], axis=3)


class StaticUpsample2x(nn.Layer):
    """2x nearest upsampling for a program of any map size: [N, C, H, W] -> [N, C, 2H, 2W]."""

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        rows = paddle.stack([x, x], axis=-1).flatten(3)           # [N, C, H, 2W]
        return paddle.stack([rows, rows], axis=3).flatten(2, 3)  # [N, C, 2H, 2W]


def static_layers(layers) -> nn.Sequential:
    """The same layers (weights shared, not copied) with the padding and upsampling swapped for
    their any-size versions."""
    swap = {ReflectionPad1: StaticReflectionPad1, NearestUpsample2x: StaticUpsample2x}
    return nn.Sequential(*[swap[type(m)]() if type(m) in swap else m for m in layers])


def encoder_part(encoder) -> nn.Sequential:
    """The encoder up to relu4_1, as any-size layers (weights shared)."""
    return static_layers([encoder[i] for i in range(min(len(encoder), ENCODER_LAYERS))])
