"""Torch-free reading of PyTorch checkpoints and loading them into the Paddle networks."""
from ..io import WeightMismatchError
from .name_map import load_torch_weights, torch_to_paddle_layout
from .torch_reader import CheckpointFormatError, UnsafeCheckpointError, read_torch_checkpoint

__all__ = ["read_torch_checkpoint", "load_torch_weights", "torch_to_paddle_layout", "CheckpointFormatError",
           "UnsafeCheckpointError", "WeightMismatchError"]
