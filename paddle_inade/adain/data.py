"""Training batches for AdaIN: endless, reproducible streams of content and style crops.

As pytorch-AdaIN's ``FlatFolderDataset`` + ``InfiniteSamplerWrapper``: every image of a
flat folder, reshuffled at each pass, ``train_transform`` applied (RGB, resize to
``load_size`` square, random ``crop_size`` crop). Unlike the original (which reseeds
NumPy from the OS at every pass), everything is a function of ``(seed, iteration)``:
pass ``e`` uses the permutation of ``RandomState([seed, e])`` and sample ``j`` of
iteration ``i`` its crop from ``RandomState([seed, i, j])``. So a resumed run sees exactly
the batches the uninterrupted run would have seen.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import numpy as np

from ..data.image_io import list_images
from .images import load_train_image


class FlatFolderDataset:
    """The image files directly in ``root`` (sorted), read with the train transform."""

    def __init__(self, root: str, option: str, load_size: int, crop_size: int):
        if crop_size > load_size:
            raise ValueError(f"--crop_size {crop_size} is larger than --load_size {load_size}")
        self.paths = list_images(root, option)
        if not self.paths:
            raise ValueError(f"{root}: no images in this folder (from --{option})")
        self.root, self.load_size, self.crop_size = root, load_size, crop_size

    def __len__(self) -> int:
        return len(self.paths)

    def load(self, index: int, rng: Optional[np.random.RandomState]) -> np.ndarray:
        """uint8 [crop, crop, 3] of image ``index`` (crop position from ``rng``)."""
        return load_train_image(self.paths[index], self.load_size, self.crop_size, rng)


def sample_indices(n: int, seed: int, start: int, count: int) -> np.ndarray:
    """Positions ``start .. start + count - 1`` of the endless stream of shuffled passes."""
    orders, out = {}, []
    for position in range(start, start + count):
        epoch, offset = divmod(position, n)
        if epoch not in orders:
            orders[epoch] = np.random.RandomState([seed, epoch]).permutation(n)
        out.append(orders[epoch][offset])
    return np.asarray(out, dtype=np.int64)


class BatchStream:
    """Batch ``i`` of a dataset: uint8 [batch, crop, crop, 3], decoded by ``n_threads`` threads."""

    def __init__(self, dataset: FlatFolderDataset, batch_size: int, seed: int, n_threads: int):
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.pool = ThreadPoolExecutor(max_workers=max(1, min(n_threads, batch_size)))

    def batch(self, iteration: int) -> np.ndarray:
        indices = sample_indices(len(self.dataset), self.seed, iteration * self.batch_size, self.batch_size)
        rngs = [np.random.RandomState([self.seed, iteration, j]) for j in range(self.batch_size)]
        return np.stack(list(self.pool.map(self.dataset.load, indices, rngs)))

    def close(self) -> None:
        self.pool.shutdown()
