"""paddle_inade: INADE (Tan et al., CVPR 2021) in PaddlePaddle.

Semantic image synthesis with instance-level diversity: each class has a learned
distribution of modulation parameters (ILADE), each instance samples from it with
one noise shared by every normalisation layer, and an instance-adaptive encoder
remaps that noise from a reference image.

Call :func:`setup_cpu_process` first thing in a script or notebook (threads, malloc, MKL's AVX2
path on AMD): no other call of the package changes process-wide state.
"""
from . import thread_env as _thread_env

# Importing paddle sets OMP_NUM_THREADS=1 when it is unset, so what the user chose is recorded
# before paddle is imported (setup_cpu_process needs it; thread_env tells a value Paddle wrote
# apart from the user's when paddle was imported first).
_thread_env.record_before_paddle()

from .config import INADEConfig, PRESETS  # noqa: E402
from .models import (build_discriminator, build_encoder, build_generator, preprocess_input)  # noqa: E402
from .nn import ILADE, SPADE, InstanceAwareConv2d  # noqa: E402
from .device import setup_cpu_process  # noqa: E402

_thread_env.record_after_paddle()

__version__ = "0.1.0"

__all__ = ["INADEConfig", "PRESETS", "build_generator", "build_encoder", "build_discriminator",
           "preprocess_input", "ILADE", "SPADE", "InstanceAwareConv2d", "setup_cpu_process"]
