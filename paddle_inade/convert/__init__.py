"""Torch-free reading of PyTorch checkpoints and loading them into the Paddle networks."""
from .name_map import (WeightMismatchError, load_paddle_state, load_torch_weights,
                       save_paddle_state, torch_to_paddle_state)
from .torch_reader import CheckpointFormatError, UnsafeCheckpointError, read_torch_checkpoint

__all__ = ["read_torch_checkpoint", "load_torch_weights", "torch_to_paddle_state",
           "load_paddle_state", "save_paddle_state", "CheckpointFormatError",
           "UnsafeCheckpointError", "WeightMismatchError"]
