"""Group SPADE (SMIS's ``GROUP_SPADE``): SPADE whose label-map convolutions are grouped.

Grouping the modulation network by class keeps each class's scale and bias maps a function
of that class's mask only. The widths differ per generator family (``plan.group_spade_spec``):

- deepfashion: hidden 128; shared conv and gamma/beta convs in the block's ``groups`` groups;
- cityscapes: the label map carries the edge map after every class (2 L channels); hidden
  L * groups; all three convolutions in L groups;
- ade20k: hidden 2 L (or L * groups when groups does not divide L); shared conv in L groups,
  gamma/beta in the block's groups.
"""
from __future__ import annotations

from ..nn.norm_spec import SpadeNormSpec
from ..nn.spade import SPADE
from .plan import group_spade_spec


def GroupSPADE(norm_nc: int, label_nc: int, groups: int, layout: str, norm: SpadeNormSpec) -> SPADE:
    """A :class:`~paddle_inade.nn.spade.SPADE` with GroupDNet's grouped convolutions.

    x [N, norm_nc, H, W], segmap [N, seg_in, H0, W0] -> [N, norm_nc, H, W] where seg_in is
    ``label_nc`` (SMIS's semantic_nc, L), or 2 L for the cityscapes family.
    """
    spec = group_spade_spec(layout, label_nc, groups)
    return SPADE(norm_nc, spec.seg_in, norm.param_free, norm.kernel_size, hidden=spec.hidden,
                 shared_groups=spec.shared_groups, groups=spec.groups)
