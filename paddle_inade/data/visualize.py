"""Pictures for people: label colours, instance boundaries, image grids, atomic PNG writing."""
from __future__ import annotations

import os

import cv2
import numpy as np


def label_colormap(n: int) -> np.ndarray:
    """[n, 3] uint8 colours: the PASCAL-VOC bit-interleaving map (class 0 is black)."""
    ids = np.arange(n)
    cmap = np.zeros((n, 3), dtype=np.int64)
    for shift in range(8):
        for channel in range(3):
            cmap[:, channel] |= ((ids >> (3 * shift + channel)) & 1) << (7 - shift)
    return cmap.astype(np.uint8)


def colorize_label(label: np.ndarray, n_classes: int) -> np.ndarray:
    """[H, W] class ids -> [H, W, 3] uint8 RGB. Ids >= n_classes (e.g. 255) are grey."""
    label = np.asarray(label).astype(np.int64)
    cmap = np.concatenate([label_colormap(n_classes), [[128, 128, 128]]]).astype(np.uint8)
    return cmap[np.clip(label, 0, n_classes)]


def boundary_mask(instance: np.ndarray) -> np.ndarray:
    """[H, W] ids -> [H, W] bool, True where a 4-neighbour has another id."""
    inst = np.asarray(instance)
    edge = np.zeros(inst.shape, dtype=bool)
    dx = inst[:, 1:] != inst[:, :-1]
    dy = inst[1:, :] != inst[:-1, :]
    edge[:, 1:] |= dx
    edge[:, :-1] |= dx
    edge[1:, :] |= dy
    edge[:-1, :] |= dy
    return edge


def instance_boundaries(instance: np.ndarray, image: np.ndarray | None = None) -> np.ndarray:
    """White instance boundaries over ``image`` (uint8 [H, W, 3]) or over a per-instance
    colour fill when no image is given. Returns uint8 [H, W, 3]."""
    inst = np.asarray(instance).astype(np.int64)
    if image is None:
        rng = np.random.default_rng(12345)
        palette = rng.integers(40, 216, size=(int(inst.max()) + 1, 3)).astype(np.uint8)
        out = palette[inst]
    else:
        out = np.array(image, dtype=np.uint8, copy=True)
    out[boundary_mask(inst)] = 255
    return out


def to_uint8_image(array: np.ndarray) -> np.ndarray:
    """[3, H, W] float in [-1, 1] -> [H, W, 3] uint8."""
    array = np.asarray(array, dtype=np.float32)
    return np.clip((np.transpose(array, (1, 2, 0)) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def make_grid(rows: list[list[np.ndarray]], pad: int = 2, value: int = 255) -> np.ndarray:
    """Tile equally sized [H, W, 3] uint8 images; rows may differ in length (padded)."""
    if not rows or not rows[0]:
        raise ValueError("make_grid needs at least one image")
    h, w = rows[0][0].shape[:2]
    n_cols = max(len(r) for r in rows)
    grid = np.full((len(rows) * (h + pad) + pad, n_cols * (w + pad) + pad, 3), value, np.uint8)
    for i, row in enumerate(rows):
        for j, img in enumerate(row):
            if img.shape[:2] != (h, w):
                raise ValueError(f"make_grid: image ({i}, {j}) is {img.shape[:2]}, expected {(h, w)}")
            y, x = pad + i * (h + pad), pad + j * (w + pad)
            grid[y:y + h, x:x + w] = img
    return grid


def save_image(path: str, image: np.ndarray) -> None:
    """Write an RGB uint8 [H, W, 3] (or single-channel [H, W], any depth OpenCV writes) image
    atomically (temporary name, then rename); the format follows the extension (.png, .jpg, ...).
    Missing parent folders are created."""
    from ..files import atomic_write
    if not os.path.splitext(path)[1]:
        raise ValueError(f"{path}: an image file name needs an extension (.png, .jpg)")
    image = np.asarray(image)
    if image.ndim == 3:
        image = image[..., ::-1]
    image = np.ascontiguousarray(image)

    def write(tmp: str) -> None:
        if not cv2.imwrite(tmp, image):
            raise OSError(f"could not write {path} (OpenCV cannot write this image to it)")
    atomic_write(path, write)
