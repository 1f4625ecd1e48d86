"""InstanceAwareConv2d: a convolution that does not mix instances.

At each output position the kernel only sees input pixels of the *same instance*
as the centre pixel; other neighbours count as zero. With an instance-id map
``inst`` the neighbour mask of a window is ``1 - clip(|inst - inst_centre|, 0, 1)``
(1 for the same id, 0 otherwise; the zero padding of the id map gives padded
pixels the id 0, which does not matter because the padded inputs are 0 too).

This is the readable version written with ``paddle.nn.Unfold``: it materialises
the C*k*k values of every window.
"""
from __future__ import annotations

import math

import paddle
import paddle.nn.functional as F
from paddle import nn


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


class InstanceAwareConv2d(nn.Layer):
    """x [N, fin, H, W], instances [N, 1, H0, W0] (ids as floats) -> [N, fout, H', W'].

    State: ``weight`` [fout, fin, kw, kw], ``bias`` [fout] (the original's names).
    """

    def __init__(self, fin: int, fout: int, kw: int, stride: int = 1, padding: int = 1):
        super().__init__()
        self.fin, self.fout, self.kw = fin, fout, kw
        self.stride, self.padding = stride, padding
        bound = 1 / math.sqrt(fin * kw * kw)
        self.weight = self.create_parameter(
            [fout, fin, kw, kw], default_initializer=nn.initializer.KaimingUniform())
        self.bias = self.create_parameter(
            [fout], is_bias=True, default_initializer=nn.initializer.Uniform(-bound, bound))
        self.unfold = nn.Unfold(kw, strides=stride, paddings=padding)

    def neighbour_mask(self, instances: paddle.Tensor) -> paddle.Tensor:
        """[N, 1, H, W] ids -> [N, k*k, L]: 1 where a window pixel has the centre's id."""
        inst_unf = self.unfold(instances)
        center = inst_unf[:, self.kw * self.kw // 2 : self.kw * self.kw // 2 + 1, :]
        return 1.0 - paddle.clip(paddle.abs(inst_unf - center), 0.0, 1.0)

    def forward(self, x: paddle.Tensor, instances: paddle.Tensor) -> paddle.Tensor:
        n, c, h, w = x.shape
        instances = F.interpolate(instances, size=[h, w], mode="nearest")
        mask = self.neighbour_mask(instances).unsqueeze(1)  # [N, 1, k*k, L]
        x_unf = self.unfold(x)  # [N, C*k*k, L]
        length = x_unf.shape[-1]
        masked = (x_unf.reshape([n, c, -1, length]) * mask).reshape([n, -1, length])
        out = paddle.matmul(self.weight.reshape([self.fout, -1]), masked)  # [N, fout, L]
        out = out + self.bias.reshape([1, -1, 1])
        h_out = conv_out_size(h, self.kw, self.stride, self.padding)
        w_out = conv_out_size(w, self.kw, self.stride, self.padding)
        return out.reshape([n, self.fout, h_out, w_out])
