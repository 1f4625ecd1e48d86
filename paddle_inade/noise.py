"""The generator's random inputs, drawn from NumPy generators: never from Paddle's global
random stream, which the caller's other code may be using.

``seed`` everywhere in the inference API means: None (fresh entropy from the OS), an int (one
generator for the whole batch), a sequence of ints (one generator per layout, so that a layout's
images do not depend on the other layouts of its batch), or a ``numpy.random.Generator``
(used, and advanced, as it is).
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np

Seed = Union[None, int, Sequence[int], np.random.Generator]


def generators(seed: Seed, batch: int) -> list[np.random.Generator]:
    """One generator per layout of a batch (the same object repeated when shared)."""
    if isinstance(seed, np.random.Generator):
        return [seed] * batch
    if seed is None or isinstance(seed, (int, np.integer)):
        return [np.random.default_rng(None if seed is None else int(seed))] * batch
    seeds = list(seed) if not isinstance(seed, (str, bytes, float)) and hasattr(seed, "__iter__") else [seed]
    if len(seeds) != batch or not all(isinstance(s, (int, np.integer)) for s in seeds):
        raise ValueError(f"seed: expected an int, a numpy Generator or {batch} ints (one per layout), "
                         f"got {seed!r}")
    return [np.random.default_rng(int(s)) for s in seeds]


def draw_noises(rngs: list[np.random.Generator], counts: Sequence[int], n_channels: int,
                z_dim: int, noise_nc: int) -> tuple[np.ndarray, np.ndarray]:
    """(noise float32 [N, K, 2, noise_nc], noise_ins float32 [N, z_dim]) for one sample.

    Layout n draws, from ``rngs[n]``, its start vector and then the noise of its own
    ``counts[n]`` instances; the other K - counts[n] channels (empty in its instance map) are
    zero. So a layout gets the same noise whatever else is in its batch.
    """
    noise = np.zeros((len(rngs), n_channels, 2, noise_nc), np.float32)
    noise_ins = np.zeros((len(rngs), z_dim), np.float32)
    for n, (rng, count) in enumerate(zip(rngs, counts)):
        noise_ins[n] = rng.standard_normal(z_dim, dtype=np.float32)
        noise[n, :count] = rng.standard_normal((count, 2, noise_nc), dtype=np.float32)
    return noise, noise_ins

