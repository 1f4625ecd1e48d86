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
order: the outputs measured identical. Likewise the ``mlp_shared`` convolutions of the norms of one
residual block, which all read the same label map at the same size: :func:`shared_features` runs
them as one convolution where the map and the label channels are large (:func:`choose_shared`;
the block passes each norm its features), :func:`separate_shared` being the reference.
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


def separate_shared(layers, segmap: paddle.Tensor) -> list[paddle.Tensor]:
    """Each SPADE layer's ``mlp_shared(segmap)``: segmap [N, label_nc, H, W] -> [N, hidden, H, W] each."""
    return [layer.mlp_shared(segmap) for layer in layers]


def stacked_shared(layers, segmap: paddle.Tensor) -> list[paddle.Tensor]:
    """:func:`separate_shared` as one convolution of the layers' stacked ``mlp_shared`` kernels
    (ungrouped, same input, kernel and padding), ReLU, split per layer."""
    convs = [layer.mlp_shared[0] for layer in layers]
    if any(conv._groups != 1 for conv in convs):
        raise ValueError("stacked shared convolutions need ungrouped convolutions")
    weight = paddle.concat([conv.weight for conv in convs])
    bias = paddle.concat([conv.bias for conv in convs])
    out = F.relu(conv2d(segmap, weight, bias, padding=convs[0]._padding, pad_mode=convs[0].pad_mode))
    return paddle.split(out, [conv.weight.shape[0] for conv in convs], axis=1)


#: fewest label-map channels for which :func:`choose_shared` stacks (below, the split's copies cost more)
STACKED_MIN_CHANNELS = 64


def choose_shared(layers, segmap: paddle.Tensor):
    """:func:`stacked_shared` for two or more ungrouped ``mlp_shared`` convolutions of one shape
    on a map of :data:`FUSED_MIN_POSITIONS` positions or more with :data:`STACKED_MIN_CHANNELS`
    label channels or more (measured, 152 channels -> 128, three norms: 0.58-0.59x at 128x128 and
    256x256, 0.62x at 64x64, 1.03-1.07x at 16x16 and 8x8; 1.8x with 9 channels), else
    :func:`separate_shared`."""
    convs = [layer.mlp_shared[0] for layer in layers]
    first = convs[0]
    alike = all(conv._groups == 1 and list(conv.weight.shape[1:]) == list(first.weight.shape[1:])
                and conv._padding == first._padding and conv.pad_mode == first.pad_mode for conv in convs)
    large = (segmap.shape[2] * segmap.shape[3] >= FUSED_MIN_POSITIONS
             and segmap.shape[1] >= STACKED_MIN_CHANNELS)
    return stacked_shared if len(convs) > 1 and alike and large else separate_shared


SHARED = {"auto": None, "separate": separate_shared, "stacked": stacked_shared}


def resize_nearest(segmap: paddle.Tensor, size) -> paddle.Tensor:
    """``F.interpolate(segmap, size=size, mode="nearest")``, [N, C, H0, W0] -> [N, C, H, W].

    Where ``size`` divides the map's size the result is a strided slice (nearest picks source
    row ``i * H0 // H``, exactly every (H0 // H)-th row): the same values, and an op that the
    oneDNN programs of :mod:`~paddle_inade.nn.onednn_program` can run (their executor refuses
    ``interpolate``).
    """
    (h, w), (h0, w0) = (int(size[0]), int(size[1])), segmap.shape[2:]
    if h > 0 and w > 0 and h0 > 0 and w0 > 0 and h0 % h == 0 and w0 % w == 0:
        return segmap if (h, w) == (h0, w0) else segmap[:, :, ::h0 // h, ::w0 // w]
    return F.interpolate(segmap, size=[h, w], mode="nearest")


def shared_features(layers, segmap: paddle.Tensor, size, mode: str = "auto") -> list[paddle.Tensor]:
    """The ``mlp_shared`` features of SPADE ``layers`` that modulate maps of ``size`` [H, W] (the
    norms of one residual block): segmap [N, label_nc, H0, W0] resized (nearest) once, then
    ``mode``: 'auto' (:func:`choose_shared`), 'separate' or 'stacked'. Returns [N, hidden, H, W] each."""
    segmap = resize_nearest(segmap, size)
    return (SHARED[mode] or choose_shared(layers, segmap))(layers, segmap)


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

    def forward(self, x: paddle.Tensor, segmap: paddle.Tensor, actv: paddle.Tensor | None = None) -> paddle.Tensor:
        """x [N, norm_nc, H, W], segmap [N, label_nc, H0, W0] -> [N, norm_nc, H, W]. ``actv``: this
        layer's ``mlp_shared`` features [N, hidden, H, W] when the caller computed them
        (:func:`shared_features`); segmap is then not read."""
        normalized = self.param_free_norm(x)
        if actv is None:
            actv = self.mlp_shared(resize_nearest(segmap, x.shape[2:]))
        heads = HEADS[self.heads] or choose_heads(self.mlp_gamma, actv)
        gamma, beta = heads(self.mlp_gamma, self.mlp_beta, actv)
        return normalized * (1 + gamma) + beta
