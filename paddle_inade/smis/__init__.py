"""GroupDNet (SMIS, Zhu et al., CVPR 2020): class-wise multi-modal synthesis beside INADE.

Group convolutions give every class its own 8-channel latent code: resampling one class's code
changes that class's appearance only, and every instance of a class shares it.
"""
from __future__ import annotations

from ..models import MultiscaleDiscriminator, init_weights
from .class_crops import class_crops
from .config import PRESETS, SMISConfig
from .encoder import ConvEncoder
from .generator import (GENERATORS, ADE20KGenerator, CityscapesGenerator, DeepFashionGenerator,
                        GroupDNetGenerator)
from .group_spade import GroupSPADE
from .resnet_block import SPADEV2ResnetBlock


def build_generator(cfg: SMISConfig, init: bool = True) -> GroupDNetGenerator:
    """The generator of ``cfg.netG`` (initialised as SMIS unless ``init=False``)."""
    net = GENERATORS[cfg.layout](cfg)
    return init_weights(net, cfg.init_type, cfg.init_variance) if init else net


def build_encoder(cfg: SMISConfig, init: bool = True) -> ConvEncoder:
    net = ConvEncoder(cfg.semantic_nc, cfg.encoder_nf, cfg.e_norm, cfg.encoder_layers)
    return init_weights(net, cfg.init_type, cfg.init_variance) if init else net


def build_discriminator(cfg: SMISConfig, init: bool = True) -> MultiscaleDiscriminator:
    """SPADE's multiscale discriminator on concat(input_semantics, image)."""
    net = MultiscaleDiscriminator(cfg.input_nc + cfg.output_nc, cfg.ndf, cfg.n_layers_D, cfg.num_D,
                                  cfg.d_norm, intermediate=not cfg.no_ganFeat_loss)
    return init_weights(net, cfg.init_type, cfg.init_variance) if init else net


__all__ = ["SMISConfig", "PRESETS", "GroupDNetGenerator", "DeepFashionGenerator",
           "CityscapesGenerator", "ADE20KGenerator", "SPADEV2ResnetBlock", "GroupSPADE",
           "ConvEncoder", "class_crops", "build_generator", "build_encoder", "build_discriminator"]
