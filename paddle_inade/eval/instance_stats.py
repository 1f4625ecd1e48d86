"""Per-instance statistics of an image: mean colour and texture energy, with the instance's class.

These are what the quality measure (:mod:`.quality`) compares between generated and real images:

* ``mean``: the instance's mean colour, RGB in [-1, 1] (the generator's output range);
* ``log_energy``: ``log10(1e-4 + e)`` where ``e`` is the mean squared difference between
  horizontally or vertically neighbouring pixels *of the same instance* (RGB averaged, in
  [-1, 1] units). Pairs that cross an instance boundary are left out, so a sharp edge between
  two instances does not count as texture; a soft edge does, where it spreads its colour step
  over the pixels beside the boundary (``benchmarks/texture_depth.py`` shows how much of a
  model's energy sits there, with ``depth``). An instance with fewer than ``min_pixels`` pixels
  (or no neighbouring pair inside it) gets NaN and is not compared.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ENERGY_FLOOR = 1e-4


@dataclass
class InstanceStats:
    """Statistics of the K instances of one image (arrays indexed by instance id 0..K-1).

    Attributes:
        classes: [K] int, each instance's majority class (-1 for an empty id).
        pixels: [K] int, pixel counts.
        mean: [K, 3] float64 mean colour in [-1, 1] (NaN for an empty id).
        log_energy: [K] float64 ``log10(1e-4 + texture energy)`` (NaN where undefined).
    """

    classes: np.ndarray
    pixels: np.ndarray
    mean: np.ndarray
    log_energy: np.ndarray

    def valid(self, min_pixels: int) -> np.ndarray:
        """[K] bool: instances with at least ``min_pixels`` pixels."""
        return self.pixels >= min_pixels


def to_unit_range(image: np.ndarray) -> np.ndarray:
    """uint8 [H, W, 3] (0..255) -> float64 [H, W, 3] in [-1, 1]."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 RGB image, got {image.dtype}")
    return image.astype(np.float64) / 127.5 - 1.0


def instance_classes(label: np.ndarray, instance: np.ndarray, n_instances: int) -> np.ndarray:
    """[K] majority class of each instance id 0..K-1 (-1 for ids with no pixel)."""
    label = np.asarray(label).astype(np.int64).reshape(-1)
    inst = np.asarray(instance).astype(np.int64).reshape(-1)
    n_classes = int(label.max()) + 1
    counts = np.zeros((n_instances, n_classes), np.int64)
    np.add.at(counts, (inst, label), 1)
    return np.where(counts.sum(1) > 0, counts.argmax(1), -1)


def inner_pixels(instance: np.ndarray, depth: int, border: int = 0) -> np.ndarray:
    """[H, W] bool: pixels at least ``depth`` pixels (chessboard distance) from another instance;
    outside the image the edge pixels repeat (all True for ``depth`` 0). With ``border``, the
    pixels within ``border`` pixels of the image's edge are left out too."""
    inst = np.asarray(instance)
    h, w = inst.shape
    padded = np.pad(inst, depth, mode="edge")
    inner = np.ones((h, w), bool)
    for dy in range(2 * depth + 1):
        for dx in range(2 * depth + 1):
            inner &= padded[dy:dy + h, dx:dx + w] == inst
    if border:
        inner[:border], inner[-border:], inner[:, :border], inner[:, -border:] = False, False, False, False
    return inner


def instance_stats(image: np.ndarray, label: np.ndarray, instance: np.ndarray,
                   n_instances: int | None = None, depth: int = 0, border: int = 0) -> InstanceStats:
    """Statistics of every instance of ``image``.

    Args:
        image: uint8 [H, W, 3] RGB.
        label: [H, W] class ids. instance: [H, W] instance ids 0..K-1.
        n_instances: K (default: max id + 1).
        depth: the texture energy only over pairs of pixels both at least ``depth`` pixels inside
            their instance (0: every pair of one instance, the quality measure's).
        border: and only over pairs at least ``border`` pixels from the image's edge.
    """
    rgb = to_unit_range(image)
    inst = np.asarray(instance).astype(np.int64)
    k = int(inst.max()) + 1 if n_instances is None else int(n_instances)
    flat = inst.reshape(-1)
    pixels = np.bincount(flat, minlength=k)
    sums = np.stack([np.bincount(flat, weights=rgb[..., c].reshape(-1), minlength=k) for c in range(3)], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / pixels[:, None]
    energy_sum = np.zeros(k)
    pair_count = np.zeros(k)
    inner = inner_pixels(inst, depth, border)
    for a, b, ia, ib, na, nb in ((rgb[:, 1:], rgb[:, :-1], inst[:, 1:], inst[:, :-1], inner[:, 1:], inner[:, :-1]),
                                 (rgb[1:], rgb[:-1], inst[1:], inst[:-1], inner[1:], inner[:-1])):
        same = (ia == ib) & na & nb
        sq = ((a - b) ** 2).mean(axis=-1)
        energy_sum += np.bincount(ia[same], weights=sq[same], minlength=k)
        pair_count += np.bincount(ia[same], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_energy = np.log10(ENERGY_FLOOR + energy_sum / pair_count)
    return InstanceStats(instance_classes(label, inst, k), pixels, mean, log_energy)
