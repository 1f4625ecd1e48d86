"""Resize, crop and flip drawn once per sample and applied alike to label, instance, photo and sketch.

The original's ``get_params`` / ``get_transform`` (``data/base_dataset.py``) for every
``preprocess_mode``, in its order: resize (``resize``: load_size x load_size;
``scale_width``: width load_size; ``scale_shortside``: short side load_size), crop
(``crop`` modes: crop_size x crop_size at the drawn position), ``none``: sizes rounded
to multiples of 32, ``fixed``: crop_size x round(crop_size / aspect_ratio), then the
horizontal flip (when ``is_train`` and not ``no_flip``).

OpenCV does the resizing: maps with ``INTER_NEAREST_EXACT`` (the same pixels as PIL's
NEAREST, which the original uses; plain ``INTER_NEAREST`` is shifted by half a pixel),
photos with ``INTER_CUBIC`` when enlarging and ``INTER_AREA`` when shrinking (PIL's
BICUBIC filters when shrinking; ``INTER_AREA`` is the closer OpenCV equivalent).

As the original (PIL's ``crop``), a crop reaching past the image is padded with zeros
(label 0, instance 0, black photo), so crop modes always give crop_size x crop_size.
Departures: ``scale_shortside`` keeps the aspect ratio (the original leaves the short
side at its old length while scaling the long one, which distorts), and ``none`` never
rounds a side down to 0.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

POWER_BASE = 32  # 'none' rounds sizes to multiples of this (the original's __make_power_2)


@dataclass(frozen=True)
class TransformParams:
    """Drawn once per sample: crop corner (x, y) in the resized image and the flip."""

    crop_pos: tuple[int, int]
    flip: bool


def resized_size(mode: str, width: int, height: int, load_size: int) -> tuple[int, int]:
    """(w, h) after the resize step of ``mode`` (before any crop)."""
    if "resize" in mode:
        return load_size, load_size
    if "scale_width" in mode:
        return load_size, load_size * height // width
    if "scale_shortside" in mode:
        short, long_ = min(width, height), max(width, height)
        long_ = load_size * long_ // short
        return (load_size, long_) if width == short else (long_, load_size)
    return width, height


def get_params(cfg, size: tuple[int, int], rng: Optional[random.Random] = None) -> TransformParams:
    """Random crop corner and flip for an image of ``size`` = (w, h).

    Draws as the original does (``randint``, ``randint``, ``random``), from ``rng`` (a
    ``random.Random``; the trainer's ``SeededDataset`` gives one per sample) or, without one,
    from Python's global ``random`` as the original.
    """
    rng = random if rng is None else rng
    new_w, new_h = resized_size(cfg.preprocess_mode, size[0], size[1], cfg.load_size)
    x = rng.randint(0, max(0, new_w - cfg.crop_size))
    y = rng.randint(0, max(0, new_h - cfg.crop_size))
    return TransformParams((x, y), rng.random() > 0.5)


def _photo_resize(array: np.ndarray, w: int, h: int) -> np.ndarray:
    """Bicubic when enlarging, area when shrinking; one axis at a time when they differ."""
    oh, ow = array.shape[:2]
    grow_x, grow_y = w >= ow, h >= oh
    if grow_x == grow_y:
        return cv2.resize(array, (w, h), interpolation=cv2.INTER_CUBIC if grow_x else cv2.INTER_AREA)
    array = cv2.resize(array, (w, oh), interpolation=cv2.INTER_CUBIC if grow_x else cv2.INTER_AREA)
    return cv2.resize(array, (w, h), interpolation=cv2.INTER_CUBIC if grow_y else cv2.INTER_AREA)


def resize(array: np.ndarray, w: int, h: int, nearest: bool) -> np.ndarray:
    """[H, W(, C)] -> [h, w(, C)]; nearest for maps (any dtype OpenCV resizes), else photo filters."""
    if array.shape[:2] == (h, w):
        return array
    if nearest:
        return cv2.resize(array, (w, h), interpolation=cv2.INTER_NEAREST_EXACT)
    return _photo_resize(array, w, h)


def crop(array: np.ndarray, pos: tuple[int, int], size: int) -> np.ndarray:
    """[size, size(, C)] window at ``pos`` = (x, y); the part past the image is zeros."""
    x, y = pos
    window = array[y:y + size, x:x + size]
    if window.shape[:2] == (size, size):
        return window
    out = np.zeros((size, size) + array.shape[2:], array.dtype)
    out[:window.shape[0], :window.shape[1]] = window
    return out


def _round_to_base(n: int) -> int:
    return max(POWER_BASE, int(round(n / POWER_BASE) * POWER_BASE))


def apply_transform(array: np.ndarray, cfg, params: TransformParams, nearest: bool) -> np.ndarray:
    """Transform one [H, W] or [H, W, C] array as the original's ``get_transform``.

    ``nearest`` for label, instance and sketch maps; False for photos (uint8).
    """
    mode = cfg.preprocess_mode
    h, w = array.shape[:2]
    if any(k in mode for k in ("resize", "scale_width", "scale_shortside")):
        # (an image already at load_size keeps its size, as in the original)
        array = resize(array, *resized_size(mode, w, h, cfg.load_size), nearest)
    if "crop" in mode:
        array = crop(array, params.crop_pos, cfg.crop_size)
    if mode == "none":
        h, w = array.shape[:2]
        array = resize(array, _round_to_base(w), _round_to_base(h), nearest)
    if mode == "fixed":
        array = resize(array, cfg.crop_size, round(cfg.crop_size / cfg.aspect_ratio), nearest)
    if cfg.is_train and not cfg.no_flip and params.flip:
        array = array[:, ::-1]
    return np.ascontiguousarray(array)


def normalize_photo(rgb: np.ndarray) -> np.ndarray:
    """uint8 [H, W, 3] -> float32 [3, H, W] in [-1, 1] (the original's ToTensor + Normalize(0.5, 0.5))."""
    return np.ascontiguousarray(rgb.transpose(2, 0, 1), dtype=np.float32) / np.float32(127.5) - np.float32(1.0)
