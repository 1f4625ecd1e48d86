"""SPADE normalisation (Park et al. 2019), for ``norm_mode=spade``.

``out = param_free_norm(x) * (1 + gamma(seg)) + beta(seg)`` where gamma and beta
come from a small conv net on the label map resized (nearest) to x's size.
State names follow the original: ``mlp_shared.0``, ``mlp_gamma``, ``mlp_beta``.
``hidden``, ``shared_groups`` and ``groups`` (defaults: SPADE's 128, 1, 1) let GroupDNet's
group SPADE (``paddle_inade.smis.group_spade``) use the same layer with grouped convolutions.

Fast path: ``mlp_gamma`` and ``mlp_beta`` read the same features, so when they are ungrouped
:func:`fused_heads` runs them as one convolution with both kernels stacked (hidden -> 2 norm_nc):
Paddle's CPU kernel unfolds its input once instead of twice, which on large maps is most of a
head's time (measured on 2 CPU cores, 1 thread: 0.60-0.77x the two convolutions' time at 256x256
without autograd, 0.65-0.69x forward + backward; 0.92x at 64x64; 1.07x at 16x16, where stacking
the kernels costs more than it saves). :func:`separate_heads` is the reference (the two layers
called one after the other); :func:`choose_heads` picks one per call. Same sums in the same
order: the outputs measured identical.
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

from .channel_bias import Conv2D, conv2d
from .param_free_norm import ParamFreeNorm

NHIDDEN = 128  # the original's hard-coded embedding width


def separate_heads(gamma: Conv2D, beta: Conv2D, actv: paddle.Tensor) -> tuple[paddle.Tensor, paddle.Tensor]:
    """(gamma(actv), beta(actv)): actv [N, hidden, H, W] -> two [N, norm_nc, H, W]."""
    return gamma(actv), beta(actv)


def fused_heads(gamma: Conv2D, beta: Conv2D, actv: paddle.Tensor) -> tuple[paddle.Tensor, paddle.Tensor]:
    """:func:`separate_heads` as one convolution of the stacked kernels [2 norm_nc, hidden, k, k]
    (ungrouped heads with the same padding), split into the two halves."""
    if gamma._groups != 1 or beta._groups != 1:
        raise ValueError(f"fused heads need ungrouped convolutions, got groups {gamma._groups} and {beta._groups}")
    weight = paddle.concat([gamma.weight, beta.weight])
    bias = paddle.concat([gamma.bias, beta.bias])
    out = conv2d(actv, weight, bias, padding=gamma._padding, pad_mode=gamma.pad_mode)
    return tuple(paddle.split(out, 2, axis=1))


#: smallest map (H * W) on which :func:`choose_heads` stacks the heads
FUSED_MIN_POSITIONS = 64 * 64
HEADS = {"auto": None, "separate": separate_heads, "fused": fused_heads}


def choose_heads(gamma: Conv2D, actv: paddle.Tensor):
    """:func:`fused_heads` for ungrouped heads on maps of :data:`FUSED_MIN_POSITIONS` or more,
    else :func:`separate_heads`."""
    large = actv.shape[2] * actv.shape[3] >= FUSED_MIN_POSITIONS
    return fused_heads if gamma._groups == 1 and large else separate_heads


class SPADE(nn.Layer):
    """SPADE: x [N, norm_nc, H, W], segmap [N, label_nc, H0, W0] -> [N, norm_nc, H, W].

    ``mlp_shared`` is a conv label_nc -> hidden in ``shared_groups`` groups, ``mlp_gamma`` and
    ``mlp_beta`` convs hidden -> norm_nc in ``groups`` groups.
    """

    def __init__(self, norm_nc: int, label_nc: int, param_free: str = "syncbatch",
                 kernel_size: int = 3, *, hidden: int = NHIDDEN, shared_groups: int = 1,
                 groups: int = 1):
        super().__init__()
        self.param_free_norm = ParamFreeNorm(norm_nc, param_free)
        pad = kernel_size // 2
        self.mlp_shared = nn.Sequential(
            Conv2D(label_nc, hidden, kernel_size, padding=pad, groups=shared_groups), nn.ReLU())
        self.mlp_gamma = Conv2D(hidden, norm_nc, kernel_size, padding=pad, groups=groups)
        self.mlp_beta = Conv2D(hidden, norm_nc, kernel_size, padding=pad, groups=groups)
        #: the heads' path: 'auto' (:func:`choose_heads`), 'separate' or 'fused' (ungrouped heads only)
        self.heads = "auto"

    def forward(self, x: paddle.Tensor, segmap: paddle.Tensor) -> paddle.Tensor:
        normalized = self.param_free_norm(x)
        segmap = F.interpolate(segmap, size=x.shape[2:], mode="nearest")
        actv = self.mlp_shared(segmap)
        heads = HEADS[self.heads] or choose_heads(self.mlp_gamma, actv)
        gamma, beta = heads(self.mlp_gamma, self.mlp_beta, actv)
        return normalized * (1 + gamma) + beta
