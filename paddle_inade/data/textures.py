"""Procedural textures: the built-in style images of ``tools/train_adain.py`` (no download).

Each texture is one of five patterns (stripes, checks, dots, waves, blotches) painted with a
random palette of two to four colours, at a random angle and scale, with a little grain.
Deterministic: texture ``i`` of a set with seed ``s`` comes from
``numpy.random.default_rng(s + i)``. Written as PNGs into one flat folder (what
pytorch-AdaIN's ``--style_dir`` expects), in a temporary folder renamed into place.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Optional

import cv2
import numpy as np

from ..files import atomic_folder
from .toy_scenes import default_cache_dir
from .visualize import save_image

log = logging.getLogger(__name__)
PATTERNS = ("stripes", "checks", "dots", "waves", "blotches")
FORMAT_VERSION = 1


def _coords(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates rotated by a random angle, in units of a random period (3..16 px)."""
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(3, 16) * size / 64
    y, x = np.mgrid[:size, :size].astype(np.float64)
    u = (x * np.cos(angle) + y * np.sin(angle)) / period
    v = (-x * np.sin(angle) + y * np.cos(angle)) / period
    return u, v


def _field(pattern: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """A pattern as a float field in [0, 1] (how far each pixel is along the palette)."""
    u, v = _coords(rng, size)
    if pattern == "stripes":
        return (u % 1.0 < rng.uniform(0.3, 0.7)).astype(np.float64)
    if pattern == "checks":
        return ((np.floor(u) + np.floor(v)) % 2).astype(np.float64)
    if pattern == "dots":
        return (np.hypot(u % 1.0 - 0.5, v % 1.0 - 0.5) < rng.uniform(0.15, 0.4)).astype(np.float64)
    if pattern == "waves":
        return 0.5 + 0.25 * (np.sin(2 * np.pi * u + 2 * np.sin(np.pi * v * rng.uniform(0.3, 1.0)))
                             + np.sin(2 * np.pi * v * rng.uniform(0.2, 0.8)))
    noise = rng.standard_normal((size, size))
    blurred = cv2.GaussianBlur(noise, (0, 0), sigmaX=rng.uniform(1.5, 4.0) * size / 64)
    return (blurred - blurred.min()) / max(np.ptp(blurred), 1e-12)


def render_texture(rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """One texture: uint8 [size, size, 3] RGB."""
    pattern = PATTERNS[rng.integers(len(PATTERNS))]
    field = np.clip(_field(pattern, rng, size), 0.0, 1.0)
    palette = rng.uniform(0, 255, (int(rng.integers(2, 5)), 3))
    position = field * (len(palette) - 1)
    low = np.floor(position).astype(int).clip(0, len(palette) - 2)
    frac = (position - low)[..., None]
    image = palette[low] * (1 - frac) + palette[low + 1] * frac
    image += rng.normal(0, rng.uniform(2, 12), image.shape)
    return np.clip(image, 0, 255).round().astype(np.uint8)


def _meta(n_images: int, size: int, seed: int) -> dict:
    return {"format_version": FORMAT_VERSION, "n_images": n_images, "size": size, "seed": seed}


def _read_meta(root: str) -> Optional[dict]:
    try:
        with open(os.path.join(root, "meta.json"), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def write_texture_dataset(root: str, n_images: int = 64, size: int = 64, seed: int = 0) -> str:
    """Write ``root/00000.png ...`` and ``root/meta.json``; reuse a folder with the same
    parameters, refuse one with others. The folder appears only when complete."""
    meta = _meta(n_images, size, seed)
    existing = _read_meta(root)
    if existing == meta:
        return root
    if os.path.exists(root):
        raise ValueError(f"{root} exists and is not a texture set with these parameters ({meta}); "
                         "remove it or choose another folder")
    with atomic_folder(root) as tmp:
        for i in range(n_images):
            save_image(os.path.join(tmp, f"{i:05d}.png"), render_texture(np.random.default_rng(seed + i), size))
        with open(os.path.join(tmp, "meta.json"), "w", encoding="utf-8") as fh:
            json.dump(meta, fh)
    return root


def ensure_texture_dataset(root: Optional[str] = None, n_images: int = 64, size: int = 64,
                           seed: int = 0) -> str:
    """The texture folder, generated on first use (default: in the cache folder)."""
    if root is None:
        root = os.path.join(default_cache_dir(), f"textures_{size}_{n_images}_{seed}")
    if _read_meta(root) != _meta(n_images, size, seed):
        log.info("generating %d procedural textures (%dx%d) in %s", n_images, size, size, root)
    return write_texture_dataset(root, n_images, size, seed)
