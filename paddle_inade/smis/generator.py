"""GroupDNet's generators (SMIS ``--netG deepfashion | cityscapes | ade20k``).

Each starts from the class codes z [N, 8 L, sh, sw] (8 channels per class), runs a grouped
convolution ``fc`` and then SPADE-style residual blocks whose group count shrinks from one group
per class towards one group (the *group reduction*, ``plan.generator_blocks``), with nearest 2x
upsampling in between, as SPADE's generator:

    head_0 -> up -> G_middle_0 -> (up if more/most) -> G_middle_1 -> up -> up_0 -> up -> up_1
    -> up -> up_2 -> up -> up_3 -> (up -> up_4 if most) -> conv_img -> tanh
"""
from __future__ import annotations

import paddle
from paddle import nn

from ..models.generator import run_trunk, upsample2x
from ..models.resnet_block import SPADEResnetBlock
from ..nn.channel_bias import Conv2D
from .config import SMISConfig
from .plan import conv_img_channels, fc_spec
from .resnet_block import SPADEV2ResnetBlock


class GroupDNetGenerator(nn.Layer):
    """input_semantics [N, input_nc, H, W], z [N, 8 L, sh, sw] -> image [N, 3, H, W] in [-1, 1].

    ``cfg.netG`` chooses the family; the classes below only name it as SMIS does.
    """

    def __init__(self, cfg: SMISConfig):
        super().__init__()
        self.cfg = cfg
        self.layout = cfg.layout
        self.sh, self.sw = cfg.latent_size
        L, nf, norm = cfg.semantic_nc, cfg.ngf, cfg.g_norm
        cin, cout, groups = fc_spec(self.layout, L, nf)
        self.fc = Conv2D(cin, cout, 3, padding=1, groups=groups)  # grouped: grouped_conv2d
        self.block_names = []
        for spec in cfg.blocks():
            if spec.plain:  # SPADE's ungrouped block on the whole label map
                block = SPADEResnetBlock(spec.fin, spec.fout, norm=norm, norm_mode="spade",
                                         semantic_nc=cfg.input_nc, label_channels=cfg.label_channels)
            else:
                block = SPADEV2ResnetBlock(spec.fin, spec.fout, spec.groups, norm=norm, label_nc=L,
                                           layout=self.layout)
            setattr(self, spec.name, block)
            if spec.used:
                self.block_names.append(spec.name)
        self.more = cfg.num_upsampling_layers in ("more", "most")
        self.conv_img = nn.Conv2D(conv_img_channels(self.layout, nf, cfg.most), 3, 3, padding=1)

    def code_shape(self, batch: int) -> list[int]:
        """[N, 8 L, sh, sw]: the shape of z."""
        return [batch, self.cfg.code_nc, self.sh, self.sw]

    def condition(self, input_semantics: paddle.Tensor) -> paddle.Tensor:
        """The label map the norms see: for the cityscapes family every class channel followed by
        the instance edge map ([N, 2 L, H, W]); otherwise input_semantics unchanged."""
        if self.layout != "cityscapes":
            return input_semantics
        classes, edges = input_semantics[:, :-1], input_semantics[:, -1:]
        pairs = paddle.stack([classes, edges.expand_as(classes)], axis=2)  # [N, L, 2, H, W]
        n, L, _, h, w = pairs.shape
        return pairs.reshape([n, 2 * L, h, w])

    def forward(self, input_semantics: paddle.Tensor, z: paddle.Tensor | None = None,
                return_blocks: bool = False, input_instances=None, sketch=None):
        """Generate images.

        Args:
            input_semantics: [N, input_nc, H, W] one-hot labels (+ instance edge map).
            z: [N, 8 L, sh, sw] class codes (channels 8c..8c+7 belong to class c); drawn from
                N(0, 1) when None.
            return_blocks: also return a dict of each block's output (and conv_img's).
            input_instances, sketch: not used by GroupDNet; the shared engine passes a batch's maps
                to every generator (as INADE's generator ignores a sketch without add_sketch).
        """
        seg = input_semantics
        if seg.ndim != 4 or seg.shape[1] != self.cfg.input_nc:
            raise ValueError(f"input_semantics must be [N, {self.cfg.input_nc}, H, W] (label channels"
                             f"{'' if self.cfg.no_instance else ' + edge map'}), got {list(seg.shape)}")
        shape = self.code_shape(seg.shape[0])
        if z is None:
            z = paddle.randn(shape)
        if list(z.shape) != shape:
            raise ValueError(f"z must be [N, 8 * semantic_nc, sh, sw] = {shape}, got {list(z.shape)}")
        seg = self.condition(seg)
        x = self.fc(z)
        blocks = {}

        def run(name: str, x: paddle.Tensor) -> paddle.Tensor:
            blocks[name] = out = getattr(self, name)(x, seg)
            return out

        x = run_trunk(x, run, self.conv_img, self.more, self.cfg.most, upsample2x)
        blocks["conv_img"] = x
        x = paddle.tanh(x)
        return (x, blocks) if return_blocks else x


class DeepFashionGenerator(GroupDNetGenerator):
    """``--netG deepfashion``: fc in 8 groups; blocks in L, L, L/2, L/2, L/4, L/4, L/8 groups."""


class CityscapesGenerator(GroupDNetGenerator):
    """``--netG cityscapes``: fc in L groups; blocks in L, L, 20, 14, 10, 4, 1 groups."""


class ADE20KGenerator(GroupDNetGenerator):
    """``--netG ade20k``: fc to 16 L channels; blocks in L, 16, 16, 8, 4, 2, 1 groups (+ an unused up_4)."""


GENERATORS = {"deepfashion": DeepFashionGenerator, "cityscapes": CityscapesGenerator,
              "ade20k": ADE20KGenerator}
