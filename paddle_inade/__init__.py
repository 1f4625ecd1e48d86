"""paddle_inade: INADE (Tan et al., CVPR 2021) in PaddlePaddle.

Semantic image synthesis with instance-level diversity: each class has a learned
distribution of modulation parameters (ILADE), each instance samples from it with
one noise shared by every normalisation layer, and an instance-adaptive encoder
remaps that noise from a reference image.
"""
import os as _os

# Importing paddle sets OMP_NUM_THREADS=1 when it is unset, so what the user chose is recorded
# here, before paddle is imported (device.set_cpu_threads needs it).
USER_THREAD_ENV = {var: _os.environ.get(var) for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}

from .config import INADEConfig, PRESETS  # noqa: E402
from .models import (build_discriminator, build_encoder, build_generator, preprocess_input)  # noqa: E402
from .nn import ILADE, SPADE, InstanceAwareConv2d  # noqa: E402

__version__ = "0.1.0"

__all__ = ["INADEConfig", "PRESETS", "build_generator", "build_encoder", "build_discriminator",
           "preprocess_input", "ILADE", "SPADE", "InstanceAwareConv2d"]
