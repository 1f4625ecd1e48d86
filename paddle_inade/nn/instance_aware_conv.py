"""InstanceAwareConv2d: a convolution that does not mix instances.

At each output position the kernel only sees input pixels of the *same instance*
as the centre pixel; other neighbours count as zero. With an instance-id map
``inst`` the neighbour mask of a window is ``1 - clip(|inst - inst_centre|, 0, 1)``
(1 for the same id, 0 otherwise; the zero padding of the id map gives padded
pixels the id 0, which does not matter because the padded inputs are 0 too).

Two implementations with the same numbers (and gradients):

* ``impl="unfold"``: the readable version (:func:`.fast_instance_conv.unfold_instance_conv2d`),
  which materialises the C*k*k values of every window with ``unfold``.
* ``impl="fast"`` (default): a plain ``conv2d`` plus a correction at the output positions whose
  window crosses an instance boundary (:func:`.fast_instance_conv.fast_instance_conv2d`).
"""
from __future__ import annotations

import math

import paddle
import paddle.nn.functional as F
from paddle import nn

from .fast_instance_conv import (
    InstanceConvGeometry,
    conv_out_size,
    fast_instance_conv2d,
    unfold_instance_conv2d,
)

IMPLS = ("fast", "unfold")

__all__ = ["IMPLS", "InstanceAwareConv2d", "conv_out_size"]


class InstanceAwareConv2d(nn.Layer):
    """x [N, fin, H, W], instances [N, 1, H0, W0] (ids as floats) -> [N, fout, H', W'].

    State: ``weight`` [fout, fin, kw, kw], ``bias`` [fout] (the original's names).

    Args:
        impl: ``"fast"`` (conv2d + boundary correction) or ``"unfold"`` (readable reference).
    """

    def __init__(self, fin: int, fout: int, kw: int, stride: int = 1, padding: int = 1,
                 impl: str = "fast"):
        super().__init__()
        if impl not in IMPLS:
            raise ValueError(f"InstanceAwareConv2d impl {impl!r} is not one of {list(IMPLS)}")
        self.fin, self.fout, self.kw = fin, fout, kw
        self.stride, self.padding = stride, padding
        self.impl = impl
        bound = 1 / math.sqrt(fin * kw * kw)
        self.weight = self.create_parameter(
            [fout, fin, kw, kw], default_initializer=nn.initializer.KaimingUniform())
        self.bias = self.create_parameter(
            [fout], is_bias=True, default_initializer=nn.initializer.Uniform(-bound, bound))

    def forward(self, x: paddle.Tensor, instances: paddle.Tensor,
                geometry: InstanceConvGeometry | None = None) -> paddle.Tensor:
        """x [N, fin, H, W]; instances [N, 1, H0, W0] ids, resized (nearest) to H, W here.
        ``geometry``: optional precomputed boundary geometry of the resized ids (fast impl).
        Returns [N, fout, H', W']."""
        h, w = x.shape[2:]
        if list(instances.shape[2:]) != [h, w]:
            instances = F.interpolate(instances, size=[h, w], mode="nearest")
        if self.impl == "unfold":
            return unfold_instance_conv2d(x, instances, self.weight, self.bias, self.stride, self.padding)
        return fast_instance_conv2d(x, instances, self.weight, self.bias, self.stride, self.padding,
                                    geometry=geometry)

    def extra_repr(self) -> str:
        return (f"{self.fin}, {self.fout}, kernel={self.kw}, stride={self.stride}, "
                f"padding={self.padding}, impl={self.impl}")
