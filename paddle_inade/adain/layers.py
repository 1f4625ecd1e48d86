"""The two parameter-free layers of AdaIN's networks, written for speed on the CPU.

``ReflectionPad1``: PyTorch's ``ReflectionPad2d(1)`` (the same values as Paddle's
``Pad2D(1, mode='reflect')``) built from slices and two concatenations, several times faster
than Paddle's pad kernel on the CPU (``benchmarks/bench_style_transfer.py``).
``NearestUpsample2x``: ``Upsample(scale_factor=2, mode='nearest')`` through the generator's
:func:`~paddle_inade.models.generator.upsample2x` (same values, faster).
"""
from __future__ import annotations

import paddle
from paddle import nn

from ..models.generator import upsample2x


class ReflectionPad1(nn.Layer):
    """[N, C, H, W] -> [N, C, H + 2, W + 2], borders mirrored without repeating the edge
    (row -1 is row 1); needs H, W >= 2."""

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if x.shape[2] < 2 or x.shape[3] < 2:
            raise ValueError(f"reflection padding needs maps of at least 2x2, got {x.shape[2]}x{x.shape[3]}")
        x = paddle.concat([x[:, :, 1:2], x, x[:, :, -2:-1]], axis=2)
        return paddle.concat([x[:, :, :, 1:2], x, x[:, :, :, -2:-1]], axis=3)


class NearestUpsample2x(nn.Layer):
    """[N, C, H, W] -> [N, C, 2H, 2W], each value repeated in a 2x2 block."""

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return upsample2x(x)
