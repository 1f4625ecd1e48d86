"""The shown images as PNG files: one per sample and a side-by-side strip."""
from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

from ..data.visualize import make_grid, save_image


def export_pngs(images: np.ndarray, parent: str, prefix: str = "inade") -> list[str]:
    """Write uint8 [S, H, W, 3] to a new folder under ``parent``; return the file paths.

    ``<prefix>_strip.png`` (all samples in a row) and ``<prefix>_sample<k>.png`` (k from 1).
    The folder is filled under a temporary name and renamed when complete.
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"export_pngs takes uint8 [S, H, W, 3], got {images.shape} {images.dtype}")
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        names = [f"{prefix}_strip.png"] + [f"{prefix}_sample{k + 1}.png" for k in range(len(images))]
        save_image(os.path.join(tmp, names[0]), make_grid([list(images)]))
        for name, image in zip(names[1:], images):
            save_image(os.path.join(tmp, name), image)
        final = tempfile.mkdtemp(prefix="export-", dir=parent)
        os.rmdir(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [os.path.join(final, name) for name in names]
