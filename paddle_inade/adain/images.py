"""Reading and resizing images as pytorch-AdaIN's scripts do (with Pillow, as torchvision does).

Test time (its ``test_transform``, here :func:`transfer_transform`): an image file must already be RGB (the original feeds
``Image.open`` straight to ``ToTensor``, so a grey, palette or RGBA file breaks it; here it
is a clear error); ``size`` > 0 resizes the shorter side to ``size`` (bilinear, the longer
side truncated to ``int(size * long / short)``, as torchvision's ``Resize(int)``), ``crop``
then cuts the central ``size`` x ``size`` square. Training (its ``train_transform``): any
image converted to RGB, resized to ``load_size`` x ``load_size``, a random ``crop_size``
square cut out.
"""
from __future__ import annotations

import contextlib
import os
import threading
from typing import Optional

import numpy as np
from PIL import Image, UnidentifiedImageError  # Pillow: a dependency of paddlepaddle

# Pillow's decompression-bomb guard stays on (the original turns it off for the whole process);
# --max_image_pixels raises it for one call of open_image (see _pixel_limit).
_LIMIT_LOCK = threading.Lock()

_GREY_MODES = ("1", "L", "I", "I;16", "I;16B", "I;16L", "F")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def open_image(path: str, option: str, max_pixels: Optional[int] = None) -> Image.Image:
    """``Image.open`` with errors naming the file and the option it came from. Pillow refuses
    images over twice ``Image.MAX_IMAGE_PIXELS`` (a decompression bomb); ``max_pixels`` raises
    that limit for this call only (``--max_image_pixels``)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file (from {option})")
    try:
        with _pixel_limit(max_pixels):
            image = Image.open(path)
            image.load()
    except Image.DecompressionBombError as exc:
        raise ValueError(f"{path}: refused as a possible decompression bomb ({exc}) (from {option}); "
                         "if the photo is really this large, pass --max_image_pixels N") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"{path}: not a readable image ({exc}) (from {option})") from exc
    return image


@contextlib.contextmanager
def _pixel_limit(max_pixels: Optional[int]):
    """Within the block (and only for the calls that hold the lock), Pillow's limit is
    ``max_pixels // 2`` (it refuses at twice its limit), restored afterwards."""
    if max_pixels is None:
        yield
        return
    with _LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max(int(max_pixels) // 2, 1)
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def check_rgb(image: Image.Image, path: str) -> None:
    """ValueError unless the file is an RGB image (what the original's test.py can take)."""
    mode = image.mode
    if mode == "RGB":
        return
    if mode in _GREY_MODES:
        kind = "grayscale"
    elif mode in _ALPHA_MODES:
        kind = "an image with an alpha channel"
    elif mode == "P":
        kind = "a palette image"
    else:
        kind = f"a {mode} image"
    raise ValueError(f"{path} is {kind} (mode {mode}); style transfer needs RGB images: convert it "
                     "first (e.g. Image.open(f).convert('RGB').save(...))")


def resized_size(width: int, height: int, size: int) -> tuple[int, int]:
    """(width, height) after torchvision's ``Resize(size)``: the shorter side becomes ``size``."""
    short, long = (width, height) if width <= height else (height, width)
    if short == size:
        return width, height
    new_long = int(size * long / short)
    return (size, new_long) if width <= height else (new_long, size)


def center_crop_box(width: int, height: int, size: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of torchvision's ``CenterCrop(size)`` (rounding as it does)."""
    top, left = int(round((height - size) / 2.0)), int(round((width - size) / 2.0))
    return left, top, left + size, top + size


def transfer_transform(image: Image.Image, size: int, crop: bool, nearest: bool = False) -> np.ndarray:
    """The original's test transform -> uint8 [H, W, C] (``nearest`` for masks)."""
    if size < 0:
        raise ValueError(f"image size must be >= 0 (0 keeps the size), got {size}")
    if crop and size == 0:
        raise ValueError("--crop needs a size > 0 (--content_size / --style_size) to cut a size x size square")
    resample = Image.NEAREST if nearest else Image.BILINEAR
    if size:
        width, height = resized_size(*image.size, size)
        if (width, height) != image.size:
            image = image.resize((width, height), resample)
    if crop:
        if min(image.size) < size:
            raise ValueError(f"cannot cut a {size}x{size} crop from a {image.size[1]}x{image.size[0]} image")
        image = image.crop(center_crop_box(*image.size, size))
    return np.asarray(image)


def read_mask(path: str, option: str = "--mask", max_pixels: Optional[int] = None) -> Image.Image:
    """A single-channel mask image (grey, or palette/colour with equal channels)."""
    image = open_image(path, option, max_pixels)
    if image.mode in ("L", "1"):
        return image.convert("L")
    array = np.asarray(image.convert("RGB"))
    if not (array == array[..., :1]).all():
        raise ValueError(f"{path}: a mask must be single-channel (binary black/white), this one has colours")
    return Image.fromarray(array[..., 0])


def load_train_image(path: str, load_size: int, crop_size: int,
                     rng: Optional[np.random.RandomState]) -> np.ndarray:
    """The original's train transform: RGB, resized to ``load_size`` x ``load_size``, a random
    ``crop_size`` crop (positions from ``rng``; None: the centre) -> uint8 [crop, crop, 3]."""
    image = open_image(path, "training data").convert("RGB")
    if image.size != (load_size, load_size):
        image = image.resize((load_size, load_size), Image.BILINEAR)
    top = left = (load_size - crop_size) // 2
    if rng is not None:
        top, left = rng.randint(0, load_size - crop_size + 1, size=2)
    return np.asarray(image)[top:top + crop_size, left:left + crop_size]
