"""SPADEGenerator: the INADE / SPADE generator.

A starting tensor (``fc`` on a random vector, or for SPADE without VAE a conv on the
down-sampled label map) goes through residual blocks with nearest 2x upsampling
between them, then ``conv_img`` and tanh:

    head_0 -> up -> G_middle_0 -> (up if more/most) -> G_middle_1 -> up -> up_0 -> up
    -> up_1 -> up -> up_2 -> up -> up_3 -> (up -> up_4 if most) -> conv_img -> tanh
"""
from __future__ import annotations

from typing import Callable, Sequence

import paddle
import paddle.nn.functional as F
from paddle import nn

from ..config import INADEConfig
from ..nn.channel_bias import Conv2D
from ..nn.index_maps import IndexMaps
from ..nn.spectral_norm import SpectralConv2D
from .resnet_block import SPADEResnetBlock

BLOCKS = ("head_0", "G_middle_0", "G_middle_1", "up_0", "up_1", "up_2", "up_3", "up_4")


def _expect_shape(name: str, tensor: paddle.Tensor, expected: Sequence[int]) -> None:
    if list(tensor.shape) != list(expected):
        raise ValueError(f"{name} must have shape {list(expected)}, got {list(tensor.shape)}")


def pre_process_noise(noise: paddle.Tensor, z: Sequence[paddle.Tensor]) -> paddle.Tensor:
    """Remap prior noise with encoded statistics (the reparameterisation trick).

    Args:
        noise: [N, K, 2, noise_nc] from N(0, 1).
        z: ``[s_mu, s_std, b_mu, b_std]``, each [N, K, noise_nc] (std = exp(0.5 logvar)).
    Returns:
        [N, K, 2, noise_nc]: ``noise[:, :, 0] * s_std + s_mu`` and ``noise[:, :, 1] * b_std + b_mu``.
    """
    scale = noise[:, :, 0, :] * z[1] + z[0]
    bias = noise[:, :, 1, :] * z[3] + z[2]
    return paddle.stack([scale, bias], axis=2)


def upsample2x(x: paddle.Tensor) -> paddle.Tensor:
    """``F.interpolate(x, scale_factor=2, mode="nearest")`` exactly, [N, C, H, W] -> [N, C, 2H, 2W].

    Built from a broadcast along W and a concat along H: about three times faster than
    Paddle's nearest-interpolation kernel on the CPU (the same values, copied).
    """
    n, c, h, w = x.shape
    rows = x.unsqueeze(-1).expand([n, c, h, w, 2]).reshape([n, c, h, 1, 2 * w])
    return paddle.concat([rows, rows], axis=3).reshape([n, c, 2 * h, 2 * w])


def upsample2x_bilinear(x: paddle.Tensor) -> paddle.Tensor:
    """2x bilinear upsampling (half-pixel centres, torch's ``align_corners=False``), [N, C, H, W] ->
    [N, C, 2H, 2W]: the ``--upsampling_G bilinear`` aid (the original upsamples nearest)."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


#: ``--upsampling_G``: the generator's 2x upsampling.
UPSAMPLERS = {"nearest": upsample2x, "bilinear": upsample2x_bilinear}


def set_padding(layer: nn.Layer, mode: str) -> None:
    """Pad the borders of every convolution in ``layer`` with ``mode`` ('zeros': the original's;
    'reflect': the ``--padding_G reflect`` aid). Convolutions without padding are unchanged."""
    for sub in layer.sublayers(include_self=True):
        if isinstance(sub, (Conv2D, SpectralConv2D)):
            sub.pad_mode = mode


def run_trunk(x: paddle.Tensor, run: Callable[[str, paddle.Tensor], paddle.Tensor], conv_img: nn.Layer,
              more: bool, most: bool, upsample: Callable) -> paddle.Tensor:
    """The SPADE decoder both generators share (SPADE's ``SPADEGenerator.forward`` after ``fc``):
    head_0, G_middle_0/1, up_0..up_3 (and up_4 for ``most``) with 2x upsampling between them
    (``upsample``: :func:`upsample2x`, nearest, as the original), then ``conv_img`` of leaky_relu(x, 0.2).
    ``run(name, x)`` calls block ``name``.

    Returns the conv_img output [N, 3, H, W] before tanh.
    """
    x = upsample(run("head_0", x))
    x = run("G_middle_0", x)
    if more:
        x = upsample(x)
    x = upsample(run("G_middle_1", x))
    x = upsample(run("up_0", x))
    x = upsample(run("up_1", x))
    x = upsample(run("up_2", x))
    x = run("up_3", x)
    if most:
        x = run("up_4", upsample(x))
    return conv_img(F.leaky_relu(x, 0.2))


class SPADEGenerator(nn.Layer):
    """Generator: input_semantics [N, semantic_nc, H, W] -> image [N, 3, H, W] in [-1, 1].

    Args:
        cfg: the model options.
        lookup: (inade) let ILADE use table look-ups when the label and instance maps are
            one-hot (checked once per forward pass); False always takes the readable path
            (the original's matrix products). Also settable later as the attribute ``lookup``.
    """

    def __init__(self, cfg: INADEConfig, lookup: bool = True):
        super().__init__()
        self.cfg = cfg
        self.lookup = lookup
        nf = cfg.ngf
        self.sh, self.sw = cfg.latent_size
        self.inade = cfg.is_inade
        self.from_vector = cfg.use_vae or self.inade
        if self.from_vector:
            self.fc = nn.Linear(cfg.z_dim, 16 * nf * self.sh * self.sw)
        else:
            self.fc = Conv2D(cfg.semantic_nc, 16 * nf, 3, padding=1)
        block = dict(norm=cfg.g_norm, norm_mode=cfg.norm_mode, semantic_nc=cfg.semantic_nc,
                     label_channels=cfg.label_channels, noise_nc=cfg.noise_nc,
                     add_sketch=cfg.add_sketch)
        widths = [16, 16, 16, 16, 8, 4, 2, 1]
        self.head_0 = SPADEResnetBlock(16 * nf, 16 * nf, **block)
        self.G_middle_0 = SPADEResnetBlock(16 * nf, 16 * nf, **block)
        self.G_middle_1 = SPADEResnetBlock(16 * nf, 16 * nf, **block)
        for i in range(4):
            setattr(self, f"up_{i}", SPADEResnetBlock(widths[i + 3] * nf, widths[i + 4] * nf, **block))
        final_nc = nf
        self.most = cfg.num_upsampling_layers == "most"
        self.more = cfg.num_upsampling_layers in ("more", "most")
        if self.most:
            self.up_4 = SPADEResnetBlock(nf, nf // 2, **block)
            final_nc = nf // 2
        self.conv_img = Conv2D(final_nc, 3, 3, padding=1)
        self.upsampling = cfg.upsampling_G
        set_padding(self, cfg.padding_G)

    # ------------------------------------------------------------------ inputs
    def _start(self, seg: paddle.Tensor, z, noise_ins) -> paddle.Tensor:
        """The first tensor [N, 16*ngf, sh, sw]."""
        batch = seg.shape[0]
        if not self.from_vector:
            return self.fc(F.interpolate(seg, size=[self.sh, self.sw], mode="nearest"))
        vector = noise_ins if self.inade else z
        if vector is None:
            vector = paddle.randn([batch, self.cfg.z_dim])
        _expect_shape("noise_ins" if self.inade else "z", vector, [batch, self.cfg.z_dim])
        return self.fc(vector).reshape([-1, 16 * self.cfg.ngf, self.sh, self.sw])

    def _instance_noise(self, batch: int, input_instances, z, noise):
        """Per-instance noise [N, K, 2, noise_nc], remapped by ``z`` when given."""
        if input_instances is None:
            raise ValueError("norm_mode inade needs input_instances [N, K, H, W]")
        shape = [batch, input_instances.shape[1], 2, self.cfg.noise_nc]
        if noise is None:
            noise = paddle.randn(shape)
        _expect_shape("noise", noise, shape)
        if z is not None:
            for name, t in zip(("s_mu", "s_std", "b_mu", "b_std"), z):
                _expect_shape(f"z ({name})", t, [batch, shape[1], shape[3]])
            noise = pre_process_noise(noise, z)
        return noise

    def _check_inputs(self, seg, input_instances, sketch) -> None:
        if seg.ndim != 4 or seg.shape[1] != self.cfg.semantic_nc:
            raise ValueError(f"input_semantics must be [N, semantic_nc={self.cfg.semantic_nc}, H, W], "
                             f"got {list(seg.shape)}")
        if input_instances is not None and list(input_instances.shape[2:]) != list(seg.shape[2:]):
            raise ValueError(f"input_instances must have the label map's size {list(seg.shape[2:])}, "
                             f"got {list(input_instances.shape)}")
        if self.cfg.add_sketch and self.inade:
            if sketch is None:
                raise ValueError("add_sketch is set: pass sketch [N, 1, H, W]")
            _expect_shape("sketch", sketch, [seg.shape[0], 1, *seg.shape[2:]])

    # ------------------------------------------------------------------ forward
    def forward(self, input_semantics: paddle.Tensor, z=None, input_instances=None,
                sketch=None, noise=None, noise_ins=None, return_blocks: bool = False):
        """Generate images.

        Args:
            input_semantics: [N, semantic_nc, H, W] one-hot labels + instance edge map.
            z: spade+use_vae: [N, z_dim]; inade: ``[s_mu, s_std, b_mu, b_std]`` each
                [N, K, noise_nc] remapping the per-instance noise (None: prior N(0, 1)).
            input_instances: [N, K, H, W] one-hot instances (inade).
            sketch: [N, 1, H, W] (inade with add_sketch).
            noise: [N, K, 2, noise_nc] per-instance noise (drawn from N(0, 1) if None).
            noise_ins: [N, z_dim] the inade generator's input vector (drawn if None).
            return_blocks: also return a dict of each block's output (and conv_img's).
        Returns:
            [N, 3, H, W] in [-1, 1] (and the block dict when asked).
        """
        seg = input_semantics
        self._check_inputs(seg, input_instances, sketch)
        x = self._start(seg, z, noise_ins)
        noise = self._instance_noise(seg.shape[0], input_instances, z, noise) if self.inade else None
        # Index form of the one-hot maps, shared by every ILADE layer of this pass (None: the
        # maps are not one-hot, look-ups are off, or a static graph is being traced (the check
        # and the pair table need the values) -> the readable path).
        index_maps = None
        if self.inade and self.lookup and paddle.in_dynamic_mode():
            index_maps = IndexMaps.maybe(seg[:, : self.cfg.label_channels], input_instances)
        blocks = {}

        def run(name: str, x: paddle.Tensor) -> paddle.Tensor:
            if self.inade:
                out = getattr(self, name)(x, seg, input_instances, noise, sketch, index_maps)
            else:
                out = getattr(self, name)(x, seg)
            blocks[name] = out
            return out

        x = run_trunk(x, run, self.conv_img, self.more, self.most, UPSAMPLERS[self.upsampling])
        blocks["conv_img"] = x
        x = paddle.tanh(x)
        return (x, blocks) if return_blocks else x
