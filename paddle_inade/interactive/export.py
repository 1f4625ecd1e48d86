"""The shown images as PNG files: one per sample and a side-by-side strip."""
from __future__ import annotations

import os
import time
import uuid

import numpy as np

from ..data.visualize import make_grid, save_image
from ..files import atomic_folder


def export_pngs(images: np.ndarray, parent: str, prefix: str = "inade") -> list[str]:
    """Write uint8 [S, H, W, 3] to a new folder under ``parent``; return the file paths.

    ``<prefix>_strip.png`` (all samples in a row) and ``<prefix>_sample<k>.png`` (k from 1),
    in ``parent/export-<time>-<random>/``, which appears only when complete.
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"export_pngs takes uint8 [S, H, W, 3], got {images.shape} {images.dtype}")
    folder = os.path.join(parent, f"export-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}")
    names = [f"{prefix}_strip.png"] + [f"{prefix}_sample{k + 1}.png" for k in range(len(images))]
    with atomic_folder(folder) as tmp:
        save_image(os.path.join(tmp, names[0]), make_grid([list(images)]))
        for name, image in zip(names[1:], images):
            save_image(os.path.join(tmp, name), image)
    return [os.path.join(folder, name) for name in names]
