"""SPADEV2ResnetBlock: GroupDNet's residual block, with grouped convolutions and group SPADE."""
from __future__ import annotations

from ..models.resnet_block import SPADEResnetBlock
from ..nn.norm_spec import SpadeNormSpec
from .group_spade import GroupSPADE


class SPADEV2ResnetBlock(SPADEResnetBlock):
    """x [N, fin, H, W], seg [N, seg_in, H0, W0] -> [N, fout, H, W].

    SPADE's residual block (norm -> leaky ReLU -> conv, twice, learned shortcut when the width
    changes) with ``conv_0``, ``conv_1``, ``conv_s`` in ``groups`` groups and group SPADE norms,
    so that with as many groups as classes each class's channels stay apart.
    """

    def __init__(self, fin: int, fout: int, groups: int, *, norm: SpadeNormSpec, label_nc: int,
                 layout: str):
        super().__init__(fin, fout, norm=norm, norm_mode="spade", semantic_nc=label_nc,
                         label_channels=label_nc, groups=groups,
                         make_norm=lambda channels: GroupSPADE(channels, label_nc, groups, layout, norm))
