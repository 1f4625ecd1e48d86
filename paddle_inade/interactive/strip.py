"""Pictures side by side, enlarged, and the way back from a click to (picture, row, col).

A strip of S pictures of H x W pixels at an integer ``zoom`` with ``gap`` white pixels
between them (and none around) is ``H * zoom`` high and ``S * W * zoom + (S - 1) * gap``
wide. A click in a gap belongs to no picture.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..data.visualize import boundary_mask


def tile_strip(images: np.ndarray, zoom: int = 4, gap: int = 8, value: int = 255) -> np.ndarray:
    """uint8 [S, H, W, 3] -> uint8 [H*zoom, S*W*zoom + (S-1)*gap, 3] (nearest enlargement)."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"tile_strip takes uint8 [S, H, W, 3], got shape {images.shape}")
    s, h, w, _ = images.shape
    big = images.repeat(zoom, axis=1).repeat(zoom, axis=2)
    strip = np.full((h * zoom, s * w * zoom + (s - 1) * gap, 3), value, np.uint8)
    for i in range(s):
        x = i * (w * zoom + gap)
        strip[:, x:x + w * zoom] = big[i]
    return strip


def locate(x: int, y: int, n: int, height: int, width: int, zoom: int = 4,
           gap: int = 8) -> Optional[tuple[int, int, int]]:
    """Strip pixel (x, y) -> (picture, row, col) in the pictures' own pixels, or None in a
    gap or outside the strip (``n`` pictures of ``height`` x ``width``)."""
    pitch = width * zoom + gap
    picture, offset = divmod(int(x), pitch)
    if x < 0 or y < 0 or picture >= n or offset >= width * zoom or y >= height * zoom:
        return None
    return picture, int(y) // zoom, offset // zoom


def outline(image: np.ndarray, mask: np.ndarray, colour=(255, 255, 0)) -> np.ndarray:
    """uint8 [H, W, 3] with the border pixels of bool [H, W] ``mask`` painted ``colour``."""
    out = np.array(image, np.uint8, copy=True)
    edge = mask & boundary_mask(mask.astype(np.uint8))
    out[edge] = colour
    return out
