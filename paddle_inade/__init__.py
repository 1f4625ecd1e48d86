"""paddle_inade: INADE (Tan et al., CVPR 2021) in PaddlePaddle.

Semantic image synthesis with instance-level diversity: each class has a learned
distribution of modulation parameters (ILADE), each instance samples from it with
one noise shared by every normalisation layer, and an instance-adaptive encoder
remaps that noise from a reference image.
"""
from .config import INADEConfig, PRESETS
from .models import (build_discriminator, build_encoder, build_generator, preprocess_input)
from .nn import ILADE, SPADE, InstanceAwareConv2d

__version__ = "0.1.0"

__all__ = ["INADEConfig", "PRESETS", "build_generator", "build_encoder", "build_discriminator",
           "preprocess_input", "ILADE", "SPADE", "InstanceAwareConv2d"]
