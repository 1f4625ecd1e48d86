"""Layers of INADE: ILADE, SPADE, InstanceAwareConv2d, spectral norm, param-free norms."""
from .ilade import ILADE
from .instance_aware_conv import InstanceAwareConv2d
from .norm_spec import PlainNormSpec, SpadeNormSpec
from .param_free_norm import ParamFreeNorm
from .spade import SPADE
from .spectral_norm import SpectralConv2D, make_conv, remove_spectral_norm

__all__ = ["ILADE", "SPADE", "InstanceAwareConv2d", "ParamFreeNorm", "SpectralConv2D",
           "make_conv", "remove_spectral_norm", "PlainNormSpec", "SpadeNormSpec"]
