"""Procedural toy scenes: the built-in default data.

A 64x64 scene has "stuff" (sky, grass, maybe water) and 2-6 objects (balloons, boxes,
flowers), often several of one class. Every instance, stuff regions included, draws
its own style from its class's distribution (hue, shade, pattern), so instance-level
diversity is there to be learned and measured. Deterministic: image ``i`` of a dataset
with seed ``s`` comes from ``numpy.random.default_rng(s + i)``.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Callable, Optional

import cv2
import numpy as np

from .visualize import save_image

log = logging.getLogger(__name__)

#: Class table: id -> name. ``label_nc`` = 6, no dontcare class.
CLASSES = {0: "sky", 1: "grass", 2: "water", 3: "balloon", 4: "box", 5: "flower"}
STUFF, OBJECTS = (0, 1, 2), (3, 4, 5)
LABEL_NC = len(CLASSES)
FORMAT_VERSION = 1
MIN_OBJECT_AREA = 12  # pixels at 64x64, scaled with the area for other sizes


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Hue in degrees, s and v in [0, 1] (arrays of one shape) -> float RGB in [0, 1]."""
    hsv = np.stack([h % 360, np.clip(s, 0, 1), np.clip(v, 0, 1)], -1).astype(np.float32)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _class_style(cls: int, rng: np.random.Generator) -> dict:
    """One instance's style parameters, drawn from its class's distribution."""
    if cls == 0:
        return dict(hue=rng.uniform(195, 235), sat=rng.uniform(0.25, 0.7), val=rng.uniform(0.65, 1.0),
                    gradient=rng.uniform(0.1, 0.35), pattern="gradient")
    if cls == 1:
        return dict(hue=rng.uniform(75, 140), sat=rng.uniform(0.4, 0.9), val=rng.uniform(0.35, 0.8),
                    gradient=rng.uniform(0.0, 0.2), pattern="noise", amount=rng.uniform(0.05, 0.2))
    if cls == 2:
        return dict(hue=rng.uniform(175, 215), sat=rng.uniform(0.5, 0.9), val=rng.uniform(0.4, 0.85),
                    gradient=rng.uniform(0.0, 0.2), pattern="ripples", freq=rng.uniform(0.3, 0.8),
                    amount=rng.uniform(0.05, 0.15))
    if cls == 3:
        return dict(hue=rng.uniform(0, 360), sat=rng.uniform(0.6, 1.0), val=rng.uniform(0.6, 1.0),
                    pattern="radial", amount=rng.uniform(0.2, 0.5))
    if cls == 4:
        return dict(hue=rng.uniform(15, 60), sat=rng.uniform(0.3, 0.9), val=rng.uniform(0.3, 0.9),
                    pattern="stripes", freq=rng.uniform(0.3, 1.2), angle=rng.uniform(0, np.pi),
                    amount=rng.uniform(0.0, 0.35))
    return dict(hue=float(rng.choice([300, 330, 355, 50])) + rng.uniform(-15, 15),
                sat=rng.uniform(0.5, 1.0), val=rng.uniform(0.7, 1.0), pattern="center",
                amount=rng.uniform(0.2, 0.6))


def _paint(style: dict, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Colour [H, W, 3] float of ``style`` (evaluated everywhere; the caller masks it)."""
    h, w = mask.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ys, xs = np.nonzero(mask)
    cy, cx = (ys.mean(), xs.mean()) if ys.size else (h / 2, w / 2)
    value = np.full((h, w), style["val"], np.float32)
    sat = np.full((h, w), style["sat"], np.float32)
    pattern = style["pattern"]
    if "gradient" in style:
        value = value - style["gradient"] * (yy / h - 0.5)
    if pattern == "noise":
        noise = cv2.resize(rng.normal(size=(h // 4 + 1, w // 4 + 1)).astype(np.float32), (w, h))
        value = value + style["amount"] * noise
    elif pattern == "ripples":
        value = value + style["amount"] * np.sin(style["freq"] * yy + 0.3 * np.sin(0.2 * xx))
    elif pattern == "radial":
        r = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2) / max(np.sqrt(mask.sum() / np.pi), 1.0)
        value = value - style["amount"] * np.clip(r, 0, 1.5) + 0.15 * np.exp(-((yy - cy + 2) ** 2 + (xx - cx + 2) ** 2) / 4)
    elif pattern == "stripes":
        phase = np.cos(style["angle"]) * xx + np.sin(style["angle"]) * yy
        value = value - style["amount"] * (np.sin(style["freq"] * phase) > 0)
    elif pattern == "center":
        r2 = (yy - cy) ** 2 + (xx - cx) ** 2
        sat = sat - style["amount"] * np.exp(-r2 / 3.0)
        value = value + 0.2 * np.exp(-r2 / 3.0)
    return _hsv_to_rgb(np.full((h, w), style["hue"], np.float32), sat, value)


def _stuff_layout(rng: np.random.Generator, size: int) -> list[tuple[int, np.ndarray]]:
    """(class, mask) of sky, grass and possibly water, top to bottom."""
    yy, xx = np.mgrid[0:size, 0:size]
    horizon = size * rng.uniform(0.35, 0.55) + size * 0.06 * np.sin(xx * rng.uniform(0.05, 0.2)
                                                                    + rng.uniform(0, 6.28))
    sky = yy < horizon
    regions = [(0, sky)]
    if rng.random() < 0.6:
        shore = size * rng.uniform(0.7, 0.85) + size * 0.05 * np.sin(xx * rng.uniform(0.05, 0.15))
        water = (yy >= shore) & ~sky
        regions += [(1, ~sky & ~water), (2, water)]
    else:
        regions.append((1, ~sky))
    return regions


def _object_mask(cls: int, rng: np.random.Generator, size: int) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cx, cy = int(rng.uniform(0.1, 0.9) * size), int(rng.uniform(0.15, 0.9) * size)
    scale = size / 64.0
    if cls == 3:
        cv2.circle(mask, (cx, cy), int(rng.uniform(4, 9) * scale), 1, -1)
    elif cls == 4:
        hw, hh = int(rng.uniform(4, 10) * scale), int(rng.uniform(4, 10) * scale)
        cv2.rectangle(mask, (cx - hw, cy - hh), (cx + hw, cy + hh), 1, -1)
    else:
        r_out, r_in = rng.uniform(4, 8) * scale, rng.uniform(1.5, 3) * scale
        angles = np.linspace(0, 2 * np.pi, 11)[:-1] + rng.uniform(0, np.pi)
        radii = np.where(np.arange(10) % 2 == 0, r_out, r_in)
        pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


def render_scene(rng: np.random.Generator, size: int = 64):
    """One scene.

    Returns:
        label uint8 [H, W] class ids, instance uint8 [H, W] ids 0..K-1 in order of
        appearance (stuff first, then objects in drawing order), image uint8 [H, W, 3] RGB,
        styles: per instance a dict with ``class``, ``name`` and the ``mean_rgb`` drawn.
    """
    layers = _stuff_layout(rng, size)
    owner = np.zeros((size, size), np.int64)
    for index, (_, mask) in enumerate(layers):
        owner[mask] = index
    stuff_owner = owner.copy()
    for _ in range(int(rng.integers(2, 7))):
        cls = int(rng.choice(OBJECTS, p=[0.4, 0.35, 0.25]))
        layers.append((cls, _object_mask(cls, rng, size)))
        owner[layers[-1][1]] = len(layers) - 1
    min_area = max(4, int(MIN_OBJECT_AREA * (size / 64.0) ** 2))
    for index in range(len(layers)):
        visible = owner == index
        if layers[index][0] in OBJECTS and 0 < visible.sum() < min_area:
            owner[visible] = stuff_owner[visible]  # too small to learn from: back to stuff
    label = np.zeros((size, size), np.uint8)
    instance = np.zeros((size, size), np.uint8)
    image = np.zeros((size, size, 3), np.float32)
    styles = []
    for index, (cls, _) in enumerate(layers):
        visible = owner == index
        style = _class_style(cls, rng)  # drawn for every layer: the stream stays aligned
        if not visible.any():
            continue
        colour = _paint(style, visible, rng)
        image[visible], label[visible], instance[visible] = colour[visible], cls, len(styles)
        styles.append({"class": cls, "name": CLASSES[cls],
                       "mean_rgb": (colour[visible].mean(0) * 255).round(1).tolist()})
    return label, instance, (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8), styles


def _meta(n_images: int, size: int, seed: int, n_val: int) -> dict:
    return {"format_version": FORMAT_VERSION, "n_images": n_images, "n_val": n_val, "size": size,
            "seed": seed, "label_nc": LABEL_NC, "classes": {str(k): v for k, v in CLASSES.items()}}


def write_toy_dataset(root: str, n_images: int = 300, size: int = 64, seed: int = 0,
                      overwrite: bool = False, n_val: Optional[int] = None,
                      progress: Optional[Callable[[int], None]] = None) -> str:
    """Write the toy scenes in the ``custom`` layout under ``root``; return ``root``.

    ``root/{train,val}_label/*.png`` (class ids), ``root/{train,val}_inst/*.png``
    (instance ids), ``root/{train,val}_img/*.png`` (RGB) and ``root/meta.json``. The whole
    tree is generated in a temporary sibling folder and renamed into place, so an
    interrupted run never leaves a half dataset. An existing tree with the same
    parameters is reused; different parameters are an error unless ``overwrite``.
    """
    n_val = max(8, n_images // 10) if n_val is None else n_val
    meta = _meta(n_images, size, seed, n_val)
    existing = _read_meta(root)
    if existing == meta:
        return root
    if os.path.exists(root) and not overwrite:
        diff = {k: (existing.get(k), v) for k, v in meta.items() if existing.get(k) != v} if existing else "no meta.json"
        raise ValueError(f"{root} exists with other toy-scene parameters ({diff}); pass overwrite=True "
                         "(--overwrite) or choose another folder")
    from ..files import atomic_folder
    with atomic_folder(root) as tmp:
        _generate(tmp, meta, progress)
    return root


def _generate(folder: str, meta: dict, progress) -> None:
    splits = [("train", range(meta["n_images"])),
              ("val", range(meta["n_images"], meta["n_images"] + meta["n_val"]))]
    for split, indices in splits:
        for kind in ("label", "inst", "img"):
            os.makedirs(os.path.join(folder, f"{split}_{kind}"))
        for i in indices:
            label, instance, image, _ = render_scene(np.random.default_rng(meta["seed"] + i), meta["size"])
            name = f"{i:05d}.png"
            save_image(os.path.join(folder, f"{split}_label", name), label)
            save_image(os.path.join(folder, f"{split}_inst", name), instance)
            save_image(os.path.join(folder, f"{split}_img", name), image)
            if progress is not None:
                progress(1)
    with open(os.path.join(folder, "meta.json"), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=1)


def _read_meta(root: str) -> Optional[dict]:
    try:
        with open(os.path.join(root, "meta.json"), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def default_cache_dir() -> str:
    """``$PADDLE_INADE_CACHE`` or ``~/.cache/paddle_inade``."""
    return os.environ.get("PADDLE_INADE_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "paddle_inade"))


def ensure_toy_dataset(root: Optional[str] = None, n_images: int = 300, size: int = 64,
                       seed: int = 0, progress=None) -> str:
    """The toy dataset, generated on first use (default: in the cache folder)."""
    if root is None:
        root = os.path.join(default_cache_dir(), f"toy_scenes_{size}_{n_images}_{seed}")
    if _read_meta(root) is None or _read_meta(root) != _meta(n_images, size, seed, max(8, n_images // 10)):
        log.info("generating %d toy scenes (%dx%d) in %s", n_images, size, size, root)
    return write_toy_dataset(root, n_images, size, seed, progress=progress)
