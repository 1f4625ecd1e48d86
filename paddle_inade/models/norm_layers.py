"""Conv + normalisation units of the discriminator and the conv encoder.

``spectralinstance`` gives ``Sequential(SpectralConv2D without bias, InstanceNorm)``,
with state names ``<i>.weight_orig`` etc. as the original's ``nn.Sequential``.
"""
from __future__ import annotations

from paddle import nn

from ..nn import PlainNormSpec, make_conv
from ..nn.param_free_norm import instance_norm, precise_instance_norm


class InstanceNorm(nn.Layer):
    """Parameter-free InstanceNorm (torch's ``InstanceNorm2d(affine=False)``); no state.
    ``precise``: :func:`~paddle_inade.nn.param_free_norm.precise_instance_norm` (torch's float32
    accuracy, slower) instead of Paddle's fused kernel."""

    def __init__(self, precise: bool = False):
        super().__init__()
        self.precise = precise

    def forward(self, x):
        return precise_instance_norm(x) if self.precise else instance_norm(x)


def conv_norm(fin: int, fout: int, kernel: int, stride: int, padding: int,
              norm: PlainNormSpec, groups: int = 1, precise: bool = False) -> nn.Layer:
    """A conv (``groups`` groups) followed by the norm of ``norm``; the conv's bias is dropped
    when a norm follows. ``precise``: see :class:`InstanceNorm`."""
    has_norm = norm.kind != "none"
    conv = make_conv(fin, fout, kernel, stride, padding, bias=not has_norm, spectral=norm.spectral,
                     groups=groups)
    if not has_norm:
        return conv
    if norm.kind == "instance":
        layer = InstanceNorm(precise)
    elif norm.kind == "batch":
        layer = nn.BatchNorm2D(fout, momentum=0.9, epsilon=1e-5)
    else:
        layer = nn.SyncBatchNorm(fout, momentum=0.9, epsilon=1e-5)
    return nn.Sequential(conv, layer)
