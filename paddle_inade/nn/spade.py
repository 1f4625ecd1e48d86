"""SPADE normalisation (Park et al. 2019), for ``norm_mode=spade``.

``out = param_free_norm(x) * (1 + gamma(seg)) + beta(seg)`` where gamma and beta
come from a small conv net on the label map resized (nearest) to x's size.
State names follow the original: ``mlp_shared.0``, ``mlp_gamma``, ``mlp_beta``.
``hidden``, ``shared_groups`` and ``groups`` (defaults: SPADE's 128, 1, 1) let GroupDNet's
group SPADE (``paddle_inade.smis.group_spade``) use the same layer with grouped convolutions.
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import nn

from .channel_bias import Conv2D
from .param_free_norm import ParamFreeNorm

NHIDDEN = 128  # the original's hard-coded embedding width


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

    def forward(self, x: paddle.Tensor, segmap: paddle.Tensor) -> paddle.Tensor:
        normalized = self.param_free_norm(x)
        segmap = F.interpolate(segmap, size=x.shape[2:], mode="nearest")
        actv = self.mlp_shared(segmap)
        return normalized * (1 + self.mlp_gamma(actv)) + self.mlp_beta(actv)
