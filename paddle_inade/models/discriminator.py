"""Multiscale PatchGAN discriminator (pix2pixHD / SPADE), returning intermediate features."""
from __future__ import annotations

import math

import paddle
import paddle.nn.functional as F
from paddle import nn

from ..nn import PlainNormSpec
from ..nn.channel_bias import Conv2D
from .norm_layers import conv_norm


class NLayerDiscriminator(nn.Layer):
    """D(x [N, input_nc, H, W]) -> list of every layer's output (the last is the patch logits).

    Layers ``model0`` .. ``model{n_layers}``: a 4x4 stride-2 conv with bias, then
    ``n_layers - 1`` conv+norm units (the last with stride 1), then a 4x4 conv to one channel.
    """

    def __init__(self, input_nc: int, ndf: int, n_layers: int, norm: PlainNormSpec):
        super().__init__()
        kw, pad = 4, int(math.ceil((4 - 1.0) / 2))
        nf = ndf
        units = [nn.Sequential(Conv2D(input_nc, nf, kw, stride=2, padding=pad), nn.LeakyReLU(0.2))]
        for n in range(1, n_layers):
            nf_prev, nf = nf, min(nf * 2, 512)
            stride = 1 if n == n_layers - 1 else 2
            units.append(nn.Sequential(conv_norm(nf_prev, nf, kw, stride, pad, norm), nn.LeakyReLU(0.2)))
        units.append(nn.Sequential(Conv2D(nf, 1, kw, stride=1, padding=pad)))
        self.n_units = len(units)
        for i, unit in enumerate(units):
            setattr(self, f"model{i}", unit)

    def forward(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        outputs = []
        for i in range(self.n_units):
            x = getattr(self, f"model{i}")(x)
            outputs.append(x)
        return outputs


class MultiscaleDiscriminator(nn.Layer):
    """``num_D`` NLayerDiscriminators on successively 2x average-pooled inputs.

    D(x [N, label channels + edge + 3, H, W]) -> list (per scale) of lists (per layer) of
    tensors; with ``intermediate=False`` each inner list holds only the patch logits.
    """

    def __init__(self, input_nc: int, ndf: int, n_layers: int, num_D: int, norm: PlainNormSpec,
                 intermediate: bool = True):
        super().__init__()
        self.num_D = num_D
        self.intermediate = intermediate
        for i in range(num_D):
            setattr(self, f"discriminator_{i}", NLayerDiscriminator(input_nc, ndf, n_layers, norm))

    @staticmethod
    def downsample(x: paddle.Tensor) -> paddle.Tensor:
        return F.avg_pool2d(x, kernel_size=3, stride=2, padding=1, exclusive=True)

    def forward(self, x: paddle.Tensor) -> list[list[paddle.Tensor]]:
        result = []
        for i in range(self.num_D):
            outputs = getattr(self, f"discriminator_{i}")(x)
            result.append(outputs if self.intermediate else outputs[-1:])
            if i + 1 < self.num_D:
                x = self.downsample(x)
        return result
