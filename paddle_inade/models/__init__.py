"""Networks and losses of INADE / SPADE, and their builders from an :class:`INADEConfig`."""
from __future__ import annotations

from ..config import INADEConfig
from .conv_encoder import ConvEncoder
from .discriminator import MultiscaleDiscriminator, NLayerDiscriminator
from .generator import SPADEGenerator, pre_process_noise
from .init import init_weights
from .instance_encoder import InstanceAdaptiveEncoder, inst_avg_pooling
from .losses import GANLoss, feature_matching_loss, kld_loss
from .preprocess import instance_edges, preprocess_input


def build_generator(cfg: INADEConfig, init: bool = True) -> SPADEGenerator:
    """The generator of ``cfg`` (initialised as the original unless ``init=False``)."""
    net = SPADEGenerator(cfg)
    return init_weights(net, cfg.init_type, cfg.init_variance) if init else net


def build_encoder(cfg: INADEConfig, init: bool = True):
    """InstanceAdaptiveEncoder for inade, ConvEncoder for spade+use_vae, else None."""
    if cfg.is_inade:
        net = InstanceAdaptiveEncoder(cfg.ngf, cfg.noise_nc)
    elif cfg.use_vae:
        net = ConvEncoder(cfg.ngf, cfg.e_norm, cfg.crop_size)
    else:
        return None
    return init_weights(net, cfg.init_type, cfg.init_variance) if init else net


def build_discriminator(cfg: INADEConfig, init: bool = True) -> MultiscaleDiscriminator:
    """MultiscaleDiscriminator on concat(input_semantics, image)."""
    net = MultiscaleDiscriminator(cfg.semantic_nc + cfg.output_nc, cfg.ndf, cfg.n_layers_D,
                                  cfg.num_D, cfg.d_norm, intermediate=not cfg.no_ganFeat_loss)
    return init_weights(net, cfg.init_type, cfg.init_variance) if init else net


__all__ = ["SPADEGenerator", "InstanceAdaptiveEncoder", "ConvEncoder", "MultiscaleDiscriminator",
           "NLayerDiscriminator", "GANLoss", "feature_matching_loss", "kld_loss", "preprocess_input",
           "instance_edges", "inst_avg_pooling", "pre_process_noise", "init_weights",
           "build_generator", "build_encoder", "build_discriminator"]
