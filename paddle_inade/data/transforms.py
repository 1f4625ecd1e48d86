"""Resize / crop / flip chosen once per sample and applied to label, instance, image, sketch.

Behaviour of the original's ``get_params`` / ``get_transform`` for every
``preprocess_mode``; OpenCV does the work: nearest for label, instance and sketch
maps, bicubic for photos.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Geometry:
    """Crop position (x, y) in the resized image and the horizontal flip."""

    crop_pos: tuple[int, int]
    flip: bool


def _resized_size(mode: str, w: int, h: int, load_size: int) -> tuple[int, int]:
    """(w, h) after the resize step of ``mode``."""
    if "resize" in mode:
        return load_size, load_size
    if "scale_width" in mode:
        return (w, h) if w == load_size else (load_size, int(load_size * h / w))
    if "scale_shortside" in mode:
        # The short side becomes load_size, keeping the aspect ratio. (The original keeps
        # the short side's old length, which distorts the image; we do what it meant.)
        short, long_ = min(w, h), max(w, h)
        if short == load_size:
            return w, h
        long_ = int(load_size * long_ / short)
        return (load_size, long_) if w == short else (long_, load_size)
    return w, h


def draw_geometry(cfg, width: int, height: int) -> Geometry:
    """Random crop position and flip for an image of ``width x height`` (Python ``random``,
    as the original; the trainer seeds it per sample)."""
    new_w, new_h = width, height
    mode = cfg.preprocess_mode
    if mode == "resize_and_crop":
        new_w = new_h = cfg.load_size
    elif mode == "scale_width_and_crop":
        new_w, new_h = cfg.load_size, cfg.load_size * height // width
    elif mode == "scale_shortside_and_crop":
        new_w, new_h = _resized_size(mode, width, height, cfg.load_size)
    x = random.randint(0, max(0, new_w - cfg.crop_size))
    y = random.randint(0, max(0, new_h - cfg.crop_size))
    return Geometry((x, y), random.random() > 0.5)


def apply_geometry(array: np.ndarray, cfg, geometry: Geometry, nearest: bool) -> np.ndarray:
    """Transform one [H, W] or [H, W, C] array as the original's pipeline does."""
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_CUBIC
    mode = cfg.preprocess_mode
    h, w = array.shape[:2]

    def resize(a, size):
        return a if (a.shape[1], a.shape[0]) == tuple(size) else cv2.resize(a, tuple(size), interpolation=interp)

    if any(k in mode for k in ("resize", "scale_width", "scale_shortside")):
        array = resize(array, _resized_size(mode, w, h, cfg.load_size))
    if "crop" in mode:
        x, y = geometry.crop_pos
        array = array[y:y + cfg.crop_size, x:x + cfg.crop_size]
    if mode == "none":
        h, w = array.shape[:2]
        array = resize(array, (int(round(w / 32) * 32), int(round(h / 32) * 32)))
    if mode == "fixed":
        array = resize(array, (cfg.crop_size, int(round(cfg.crop_size / cfg.aspect_ratio))))
    if cfg.is_train and not cfg.no_flip and geometry.flip:
        array = array[:, ::-1]
    return np.ascontiguousarray(array)
