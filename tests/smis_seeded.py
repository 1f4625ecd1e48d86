"""Weights drawn from NumPy's seeded generator, the same in the fixture script (torch side) and
the tests: the SMIS fixtures whose networks are too large to commit store only their buffers
(spectral u/v, BatchNorm statistics, written by torch.save) and regenerate the parameters here.

Each parameter gets ``RandomState(crc32(key) + seed).standard_normal(shape)`` scaled by the
xavier standard deviation (gain 1) for weights, 0.1 for biases, as float32.
"""
from __future__ import annotations

import math
import zlib

import numpy as np


def seeded_parameter(key: str, shape, seed: int) -> np.ndarray:
    rng = np.random.RandomState((zlib.crc32(key.encode()) + seed) % (2 ** 32))
    shape = tuple(int(n) for n in shape)
    if len(shape) >= 2:
        receptive = math.prod(shape[2:])
        std = math.sqrt(2.0 / (shape[1] * receptive + shape[0] * receptive))
    else:
        std = 0.1
    return (rng.standard_normal(shape) * std).astype(np.float32)


def seeded_parameters(shapes: dict, seed: int) -> dict:
    """{key: array} for {key: shape}."""
    return {key: seeded_parameter(key, shape, seed) for key, shape in shapes.items()}


def sampled(array: np.ndarray, limit: int) -> tuple[np.ndarray, int]:
    """(flat[::stride], stride) with at most about ``limit`` elements: how large arrays are kept."""
    flat = np.ascontiguousarray(array).reshape(-1)
    stride = max(1, -(-flat.size // limit))
    return flat[::stride].copy(), stride
