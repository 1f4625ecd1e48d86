"""Deterministic data order and augmentation, so that training can resume exactly.

The batches of epoch ``e`` are a permutation drawn from ``seed + e`` (or the file
order with ``serial_batches``), split over processes by rank; each sample's random
crop / flip is drawn with NumPy and Python RNGs seeded from (seed, epoch, index).
"""
from __future__ import annotations

import random
from typing import Any, Callable, Optional

import numpy as np


class EpochBatchSampler:
    """Index batches of ``batch_size`` per process; incomplete batches are dropped (as the
    original's training DataLoader)."""

    def __init__(self, n_samples: int, batch_size: int, seed: int, shuffle: bool = True,
                 rank: int = 0, world: int = 1):
        self.n, self.batch_size, self.seed = n_samples, batch_size, seed
        self.shuffle, self.rank, self.world = shuffle, rank, world

    def __len__(self) -> int:
        return (self.n // self.world) // self.batch_size

    def batches(self, epoch: int) -> list[list[int]]:
        order = (np.random.default_rng(self.seed + epoch).permutation(self.n) if self.shuffle
                 else np.arange(self.n))
        mine = order[self.rank: (self.n // self.world) * self.world: self.world]
        return [mine[i * self.batch_size:(i + 1) * self.batch_size].tolist()
                for i in range(len(self))]


class SeededDataset:
    """Wraps a dataset so that sample ``i`` of epoch ``e`` is augmented identically every time."""

    def __init__(self, dataset, seed: int, collate_fn: Optional[Callable] = None):
        self.dataset, self.seed, self.epoch = dataset, seed, 1
        if collate_fn is None:
            from ..data import collate_fn as default_collate
            collate_fn = default_collate
        self.collate = collate_fn

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        """The sample with its augmentation drawn from its own ``random.Random``: the draws the
        original takes from the global one after seeding it, without touching the global one.
        A dataset without ``load(index, rng)`` (not one of ours) gets the original's way: the
        global ``random`` and NumPy generators seeded for the sample."""
        seed = (self.seed * 1_000_003 + self.epoch * 10_007 + int(index)) % (2 ** 32)
        if hasattr(self.dataset, "load"):
            return self.dataset.load(index, random.Random(seed))
        np.random.seed(seed)
        random.seed(seed)
        return self.dataset[index]
