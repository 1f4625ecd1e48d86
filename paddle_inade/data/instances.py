"""Instance maps in the encodings datasets use, re-indexed to 0..K-1 per image, and batching.

Accepted encodings (decoded with ``cv2.IMREAD_UNCHANGED``):

- single channel 8-bit or 16-bit PNG (e.g. Cityscapes ``*_instanceIds.png`` with ids like
  26001 = class 26, instance 1, and plain class ids such as 7 for stuff), or a 32-bit
  integer / float TIFF: the pixel value is the id;
- colour (3 or 4 channels): one id per colour, ``R << 2b | G << b | B`` for b-bit channels
  (alpha ignored), e.g. colour-coded or palette instance PNGs;
- no instance map: each class region (all pixels of one label value) is one instance,
  which is what the original's ``make_instances.py`` writes for ADE20K and CelebA.

Re-indexing: ``np.unique(ids, return_inverse=True)`` once per image, after the resize,
crop and flip, so ids cropped away leave no empty channels. New ids follow the sorted
order of the original ids (for Cityscapes: 7 -> 0, 26001 -> 1, 26002 -> 2).
"""
from __future__ import annotations

import numpy as np

_OPENCV_DTYPES = (np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64)


def resizable(ids: np.ndarray, path: str) -> np.ndarray:
    """[H, W] ids (or class ids) in a dtype ``cv2.resize`` takes, values unchanged
    (int32, or float64 below 2**53)."""
    if ids.dtype.type in _OPENCV_DTYPES:
        return ids
    if ids.dtype == bool:
        return ids.astype(np.uint8)
    lo, hi = (int(ids.min()), int(ids.max())) if ids.size else (0, 0)
    if -2 ** 31 <= lo and hi < 2 ** 31:
        return ids.astype(np.int32)
    if max(-lo, hi) < 2 ** 53:
        return ids.astype(np.float64)
    raise ValueError(f"{path}: ids up to {hi} do not fit 53 bits")


def decode_instance_ids(array: np.ndarray, path: str) -> np.ndarray:
    """Integer ids [H, W] (a dtype OpenCV can resize) from a decoded instance image.

    ``array``: [H, W] (the ids) or [H, W, 3|4] in OpenCV's BGR(A) order (one id per colour).
    """
    if array.ndim == 2:
        return resizable(array, path)
    if array.ndim == 3 and array.shape[2] in (3, 4) and array.dtype.kind == "u":
        bits = 8 * array.dtype.itemsize
        b, g, r = (array[..., i].astype(np.int64) for i in range(3))
        return resizable((r << (2 * bits)) | (g << bits) | b, path)
    raise ValueError(f"{path}: instance map of shape {array.shape} and dtype {array.dtype}: "
                     "expected [H, W] ids or an [H, W, 3] colour code")


def reindex(ids: np.ndarray, max_instances: int, path: str) -> tuple[np.ndarray, int]:
    """Map the ids of one image to 0..K-1 in the sorted order of the ids.

    Returns (int64 [H, W] map, K). More than ``max_instances`` instances is a ValueError
    naming ``path``, the count and the option.
    """
    values, inverse = np.unique(ids, return_inverse=True)
    if values.size > max_instances:
        raise ValueError(f"{path}: {values.size} instances, more than --max_instances {max_instances}; "
                         "raise max_instances (memory grows with it) or merge instances")
    return inverse.reshape(ids.shape).astype(np.int64), int(values.size)


def collate_fn(samples: list[dict]) -> dict:
    """Stack samples (dicts of :class:`~paddle_inade.data.PairedDataset`) into a batch.

    Arrays are stacked (``label``/``instance`` int64 [N, 1, H, W], ``image`` float32
    [N, 3, H, W], ``sketch`` float32 [N, 1, H, W]), ``num_instances`` becomes int64 [N]
    and ``path`` a list. Nothing is padded: the instance maps keep their per-sample ids
    0..K_i-1, so the batch's one-hot instance map has K = max_i K_i channels (the largest
    id + 1) and a sample with fewer instances has empty channels, which the encoder's
    pooling and ILADE treat as absent. Samples of different sizes are a ValueError
    naming them (use a crop or 'fixed' preprocess_mode, or batch size 1).
    """
    if not samples:
        raise ValueError("collate_fn: empty batch")
    batch: dict = {}
    for key in samples[0]:
        values = [s[key] for s in samples]
        if isinstance(values[0], np.ndarray):
            shapes = {v.shape for v in values}
            if len(shapes) > 1:
                paths = [s.get("path") for s in samples]
                raise ValueError(f"cannot batch {key} of shapes {[v.shape for v in values]} "
                                 f"(samples {paths}): all samples of a batch need one size")
            batch[key] = np.stack(values)
        elif isinstance(values[0], (int, np.integer, float, np.floating, bool)):
            batch[key] = np.asarray(values)
        else:
            batch[key] = values
    return batch
