"""Listing and decoding image files with OpenCV; every failure names the file.

Label and instance maps are decoded with ``IMREAD_UNCHANGED`` so that 16-bit maps keep
their values; photos come back RGB uint8. EXIF orientation is ignored (as PIL, which the
original uses, does), so a photo keeps the size of its label map.
"""
from __future__ import annotations

import glob
import os
import re

import cv2
import numpy as np

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm")
_PNG_END = b"IEND\xaeB`\x82"


def natural_key(path: str) -> list:
    """Sort key that puts 'img2' before 'img10' (the original's ``natural_sort``)."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path)]


def list_images(folder: str, option: str, recursive: bool = False, suffix: str = "") -> list[str]:
    """Image files in ``folder`` ending in ``suffix``, natural-sorted.

    A missing folder is a FileNotFoundError naming it and ``option`` (the option that
    chose it, e.g. 'dataroot' or 'label_dir'). Hidden files (temporary files of
    ``make_instances``) are skipped.
    """
    if not folder:
        raise FileNotFoundError(f"--{option} is empty: it must name a folder")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder}: no such folder (from --{option}); pass --{option} DIR with "
                                "the dataset's folder (docs_data.md lists each layout's folders)")
    pattern = os.path.join(folder, "**", "*") if recursive else os.path.join(folder, "*")
    files = [p for p in glob.glob(pattern, recursive=recursive)
             if p.lower().endswith(IMAGE_EXTS) and p.endswith(suffix) and os.path.isfile(p)]
    return sorted(files, key=natural_key)


def _read_bytes(path: str) -> bytes:
    """The file's bytes; a missing, unreadable or truncated file is a ValueError naming it."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from exc
    if not raw:
        raise ValueError(f"{path}: not a readable image (empty file)")
    lower = path.lower()
    if lower.endswith((".jpg", ".jpeg")) and b"\xff\xd9" not in raw[-4096:]:
        raise ValueError(f"{path}: truncated JPEG (no end-of-image marker)")
    if lower.endswith(".png") and raw.startswith(b"\x89PNG") and _PNG_END not in raw[-64:]:
        raise ValueError(f"{path}: truncated PNG (no IEND chunk)")
    return raw


def read_image(path: str, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Decode ``path`` with ``cv2.imdecode(flags)`` (BGR order for colour images).

    Returns [H, W] or [H, W, C]. Unreadable, corrupt or truncated files are a ValueError
    naming the file.
    """
    raw = _read_bytes(path)
    if flags != cv2.IMREAD_UNCHANGED:
        flags |= cv2.IMREAD_IGNORE_ORIENTATION
    try:
        array = cv2.imdecode(np.frombuffer(raw, np.uint8), flags)
    except cv2.error as exc:
        raise ValueError(f"{path}: not a readable image ({exc.err})") from exc
    if array is None or array.size == 0:
        raise ValueError(f"{path}: not a readable image (corrupt, truncated or not an image)")
    return array


def read_photo(path: str) -> np.ndarray:
    """uint8 [H, W, 3] RGB (grey photos repeated to 3 channels, alpha dropped)."""
    return np.ascontiguousarray(read_image(path, cv2.IMREAD_COLOR)[..., ::-1])


def read_gray(path: str) -> np.ndarray:
    """uint8 [H, W] (colour images converted to grey), e.g. a sketch."""
    return read_image(path, cv2.IMREAD_GRAYSCALE)


def _is_palette_png(raw: bytes) -> bool:
    """PNG colour type 3 (indexed colours), from the IHDR chunk."""
    return raw.startswith(b"\x89PNG\r\n\x1a\n") and raw[12:16] == b"IHDR" and len(raw) > 25 and raw[25] == 3


def read_label_map(path: str) -> np.ndarray:
    """Class ids [H, W] (uint8, uint16 or int) of a label map.

    Single-channel 8/16-bit images are read as they are; a palette PNG gives its palette
    indices (through Pillow, which OpenCV cannot do); a colour image whose channels are
    all equal gives one channel. A colour-coded label map (differing channels) or
    non-integer values are a ValueError naming the file.
    """
    raw = _read_bytes(path)
    if _is_palette_png(raw):
        import io

        from PIL import Image  # a Paddle dependency
        try:
            return np.asarray(Image.open(io.BytesIO(raw)))
        except Exception as exc:  # any decoder error means a bad file
            raise ValueError(f"{path}: not a readable image ({exc})") from exc
    label = read_image(path)
    if label.ndim == 3:
        colour = label[..., :3]
        if not (colour == colour[..., :1]).all():
            raise ValueError(f"{path}: label maps must hold one class id per pixel; this one has "
                             f"{label.shape[2]} differing channels (a colour-coded label map?)")
        label = colour[..., 0]
    if label.dtype.kind == "f":
        if not np.array_equal(label, np.round(label)):
            raise ValueError(f"{path}: label map with non-integer values (dtype {label.dtype})")
        label = label.astype(np.int64)
    return label
