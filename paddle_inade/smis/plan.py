"""GroupDNet's layer plan: every grouped convolution of the three SMIS generators and the encoder.

The networks of ``paddle_inade.smis`` are built from these tables, and :class:`SMISConfig`
checks them before anything is built, so a group count that does not divide a layer's
channels is a clear error naming the layer instead of a failure deep inside a convolution.

Notation: ``L`` is SMIS's ``semantic_nc`` (classes, plus dontcare, plus the instance edge
channel except for the Cityscapes generator, which pairs the edge map with every class),
``nf`` is ``--ngf``. Each class owns ``CODE_NC`` = 8 channels of the latent code.
"""
from __future__ import annotations

from dataclasses import dataclass

CODE_NC = 8  # channels of one class's code (fixed in SMIS)
LAYOUTS = ("deepfashion", "cityscapes", "ade20k")
#: the encoder's first width per generator family (hard-coded per dataset in SMIS: 151 * 4 for ADE20K)
ENCODER_NF = {"deepfashion": 256, "cityscapes": 350, "ade20k": 151 * 4}
#: the group-reduction schedules' fixed group counts (SMIS's literals) are in ``generator_blocks``
SPADE_HIDDEN_DEEPFASHION = 128


@dataclass(frozen=True)
class BlockSpec:
    """One residual block: ``fin -> fout`` channels, convolutions in ``groups`` groups.

    ``plain`` blocks are SPADE's ungrouped ``SPADEResnetBlock`` (DeepFashion's ``up_4`` with
    ``--num_upsampling_layers most``); ``used`` is False for ADE20K's ``up_4``, which SMIS builds
    (so its checkpoints hold it) but never runs.
    """

    name: str
    fin: int
    fout: int
    groups: int
    plain: bool = False
    used: bool = True

    @property
    def fmiddle(self) -> int:
        return min(self.fin, self.fout)


@dataclass(frozen=True)
class GroupSpadeSpec:
    """Widths of one group SPADE: ``mlp_shared`` seg_in -> hidden in ``shared_groups`` groups,
    ``mlp_gamma`` / ``mlp_beta`` hidden -> norm_nc in ``groups`` groups."""

    seg_in: int
    hidden: int
    shared_groups: int
    groups: int


def group_spade_spec(layout: str, label_nc: int, groups: int) -> GroupSpadeSpec:
    """SMIS's ``GROUP_SPADE`` widths for the block group count ``groups``; ``label_nc`` = L."""
    if layout == "deepfashion":
        return GroupSpadeSpec(label_nc, SPADE_HIDDEN_DEEPFASHION, groups, groups)
    if layout == "cityscapes":  # the label map arrives with the edge map after every class
        return GroupSpadeSpec(2 * label_nc, label_nc * groups, label_nc, label_nc)
    hidden = 2 * label_nc if label_nc % groups == 0 else label_nc * groups
    return GroupSpadeSpec(label_nc, hidden, label_nc, groups)


def fc_spec(layout: str, label_nc: int, nf: int) -> tuple[int, int, int]:
    """(in, out, groups) of the first convolution, on the code [N, 8 L, sh, sw]."""
    if layout == "deepfashion":
        return CODE_NC * label_nc, 16 * nf, 8
    if layout == "cityscapes":
        return CODE_NC * label_nc, 16 * nf, label_nc
    return CODE_NC * label_nc, 16 * label_nc, label_nc


def generator_blocks(layout: str, label_nc: int, nf: int, most: bool) -> list[BlockSpec]:
    """The residual blocks in order, with the group-reduction schedule of each generator."""
    L = label_nc
    if layout == "deepfashion":
        blocks = [BlockSpec("head_0", 16 * nf, 16 * nf, L), BlockSpec("G_middle_0", 16 * nf, 16 * nf, L),
                  BlockSpec("G_middle_1", 16 * nf, 16 * nf, L // 2), BlockSpec("up_0", 16 * nf, 8 * nf, L // 2),
                  BlockSpec("up_1", 8 * nf, 4 * nf, L // 4), BlockSpec("up_2", 4 * nf, 2 * nf, L // 4),
                  BlockSpec("up_3", 2 * nf, nf, L // 8)]
        if most:
            blocks.append(BlockSpec("up_4", nf, nf // 2, 1, plain=True))
        return blocks
    if layout == "cityscapes":
        return [BlockSpec("head_0", 16 * nf, 16 * nf, L), BlockSpec("G_middle_0", 16 * nf, 16 * nf, L),
                BlockSpec("G_middle_1", 16 * nf, 16 * nf, 20), BlockSpec("up_0", 16 * nf, 8 * nf, 14),
                BlockSpec("up_1", 8 * nf, 4 * nf, 10), BlockSpec("up_2", 4 * nf, 2 * nf, 4),
                BlockSpec("up_3", 2 * nf, nf, 1)]
    return [BlockSpec("head_0", 16 * L, 16 * L, L), BlockSpec("G_middle_0", 16 * L, 32 * nf, 16),
            BlockSpec("G_middle_1", 32 * nf, 16 * nf, 16), BlockSpec("up_0", 16 * nf, 16 * nf, 8),
            BlockSpec("up_1", 16 * nf, 8 * nf, 4), BlockSpec("up_2", 8 * nf, 4 * nf, 2),
            BlockSpec("up_3", 4 * nf, 2 * nf, 1), BlockSpec("up_4", 2 * nf, nf, 1, used=False)]


def conv_img_channels(layout: str, nf: int, most: bool) -> int:
    """Input channels of the last convolution (ADE20K's ends on ``up_3`` with 2 ngf)."""
    if layout == "ade20k":
        return 2 * nf
    return nf // 2 if most else nf


def encoder_widths(nef: int, n_layers: int) -> list[int]:
    """Channels of the encoder's stride-2 layers, input first (the input has 3 L channels)."""
    return [nef, 2 * nef, 4 * nef, 8 * nef, 8 * nef, 8 * nef][:n_layers]


def grouped_convs(layout: str, label_nc: int, nf: int, most: bool, nef: int,
                  encoder_layers: int) -> list[tuple[str, int, int, int]]:
    """Every grouped convolution of G and E as (name, in, out, groups), for validation."""
    convs = [("G.fc", *fc_spec(layout, label_nc, nf))]
    for b in generator_blocks(layout, label_nc, nf, most):
        if b.plain:
            continue
        convs += [(f"G.{b.name}.conv_0", b.fin, b.fmiddle, b.groups),
                  (f"G.{b.name}.conv_1", b.fmiddle, b.fout, b.groups)]
        norms = [("norm_0", b.fin), ("norm_1", b.fmiddle)]
        if b.fin != b.fout:
            convs.append((f"G.{b.name}.conv_s", b.fin, b.fout, b.groups))
            norms.append(("norm_s", b.fin))
        for norm, channels in norms:
            s = group_spade_spec(layout, label_nc, b.groups) if b.groups >= 1 else None
            if s is None:
                continue
            convs += [(f"G.{b.name}.{norm}.mlp_shared", s.seg_in, s.hidden, s.shared_groups),
                      (f"G.{b.name}.{norm}.mlp_gamma", s.hidden, channels, s.groups)]
    widths = [3 * label_nc] + encoder_widths(nef, encoder_layers)
    for i in range(encoder_layers):
        convs.append((f"E.layer{i + 1}", widths[i], widths[i + 1], label_nc))
    convs.append(("E.fc_mu", widths[-1], CODE_NC * label_nc, label_nc))
    return convs


def first_bad_conv(convs) -> str | None:
    """A sentence about the first convolution whose groups do not divide its channels, or None."""
    for name, cin, cout, groups in convs:
        if groups < 1:
            return f"{name} would have {groups} groups"
        for what, channels in (("input", cin), ("output", cout)):
            if channels < 1 or channels % groups:
                return (f"{name} is a convolution {cin} -> {cout} channels in {groups} groups: "
                        f"its {channels} {what} channels are not divisible by {groups}")
    return None
