"""Does every instance get its own style? Measurements on generated images.

For a layout generated K times (different per-instance noise):

* ``spread``: per instance, the standard deviation over the K samples of its mean
  colour (0-255 RGB, averaged over channels). Zero means the instance never changes.
* ``same_class_correlation``: for two instances of the same class, the correlation over
  the K samples of their mean colours. Near 1 means they change together (one style per
  class, as SPADE with a global noise); near 0 means independent per-instance styles.

Used by the class-level against instance-level comparison (``class_vs_instance``); the quality
and diversity tools measure with :mod:`paddle_inade.eval.quality`.
"""
from __future__ import annotations

import itertools

import numpy as np


def instance_mean_colours(images: np.ndarray, instance: np.ndarray) -> np.ndarray:
    """images uint8 [K, H, W, 3], instance [H, W] ids 0..n-1 -> float [K, n, 3] mean colours.
    Empty ids give NaN."""
    images = np.asarray(images, dtype=np.float64)
    inst = np.asarray(instance).astype(np.int64)
    n = int(inst.max()) + 1
    one_hot = (inst.reshape(-1)[:, None] == np.arange(n)[None]).astype(np.float64)  # [HW, n]
    counts = one_hot.sum(0)
    sums = np.einsum("kpc,pn->knc", images.reshape(images.shape[0], -1, 3), one_hot)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[None, :, None]


def spread(means: np.ndarray) -> np.ndarray:
    """[K, n, 3] -> [n]: std over samples, averaged over RGB."""
    return np.nanstd(means, axis=0).mean(axis=-1)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two [K, 3] colour series, pooled over channels after
    centring each channel (NaN when either does not vary)."""
    a = a - a.mean(axis=0, keepdims=True)
    b = b - b.mean(axis=0, keepdims=True)
    denom = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denom) if denom > 0 else float("nan")


def same_class_correlation(means: np.ndarray, instance_classes: dict[int, int]) -> list[float]:
    """Correlations of every pair of instances that share a class."""
    out = []
    for i, j in itertools.combinations(sorted(instance_classes), 2):
        if instance_classes[i] == instance_classes[j]:
            out.append(correlation(means[:, i], means[:, j]))
    return out


def instance_classes(label: np.ndarray, instance: np.ndarray) -> dict[int, int]:
    """{instance id: its (majority) class}."""
    out = {}
    for k in np.unique(instance):
        values, counts = np.unique(np.asarray(label)[np.asarray(instance) == k], return_counts=True)
        out[int(k)] = int(values[np.argmax(counts)])
    return out
