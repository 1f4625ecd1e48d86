"""Torch-free reading of PyTorch checkpoints and their mapping onto the Paddle networks' layout.

Loading them (strictly) is :func:`paddle_inade.weights.load_weights` / ``load_torch_weights``;
converting a checkpoint to ``.pdparams``: :mod:`.convert`.
"""
from .name_map import torch_to_paddle_layout
from .torch_reader import CheckpointFormatError, UnsafeCheckpointError, read_torch_checkpoint

__all__ = ["read_torch_checkpoint", "torch_to_paddle_layout", "CheckpointFormatError", "UnsafeCheckpointError"]
