"""What the torch-side benchmark scripts (run with a torch interpreter) do before importing the
original INADE code: torch's threads from ``OMP_NUM_THREADS`` as the Paddle side, the original's
sources on ``sys.path``, and torchvision stubbed (the original imports it only for the VGG loss,
which the benchmarks leave out)."""
import os
import sys
import types

import torch


def prepare_original(src: str) -> None:
    """Set torch's threads, put ``src`` (a checkout of github.com/tzt101/INADE) first on
    ``sys.path`` and stub ``torchvision``."""
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    sys.path.insert(0, src)
    tv = types.ModuleType("torchvision")
    tv.models = types.SimpleNamespace(vgg19=None)
    sys.modules["torchvision"] = tv
