"""Which model a state dict belongs to: GroupDNet (SMIS) or INADE / SPADE.

Both generators use the same block names; GroupDNet's convolutions are grouped, so its
``head_0.conv_0`` weight has fewer input channels than output channels (SPADE's and INADE's
first block keeps its width), and its encoder ends in convolutions (``fc_mu`` 4-D) where
SPADE's conv encoder ends in linear layers. INADE's generator also has ILADE's ``fc_noise``.
"""
from __future__ import annotations

from typing import Mapping, Optional

import numpy as np

SMIS, INADE = "smis", "inade"
NAMES = {SMIS: "GroupDNet (SMIS, --model smis)", INADE: "INADE / SPADE (--model inade)"}


def detect_family(state: Mapping[str, object]) -> Optional[str]:
    """'smis', 'inade' or None (undecided, e.g. a discriminator, which both share)."""
    shapes = {k: tuple(np.shape(v)) for k, v in state.items()}
    if any(k.endswith(".fc_noise.weight") for k in shapes):
        return INADE
    conv = shapes.get("head_0.conv_0.weight_orig") or shapes.get("head_0.conv_0.weight")
    if conv is not None and len(conv) == 4:
        return SMIS if conv[1] < conv[0] else INADE
    mu = shapes.get("fc_mu.weight")
    if mu is not None:
        return SMIS if len(mu) == 4 else INADE
    if any(k.startswith(("scale_conv_mu", "bias_conv_mu")) for k in shapes):  # instance-adaptive encoder
        return INADE
    return None


def layer_family(layer) -> str:
    """The family of one of this package's networks."""
    return SMIS if type(layer).__module__.startswith("paddle_inade.smis") else INADE


def family_hint(layer, state: Mapping[str, object]) -> str:
    """The likely cause of a mismatch when ``state`` is the other family's, else ''."""
    found, wanted = detect_family(state), layer_family(layer)
    if found is None or found == wanted:
        return ""
    return (f"the file is a {NAMES[found]} checkpoint but the network is {NAMES[wanted]}: "
            f"load it with --model {found}")
