"""Instance maps in whatever encoding a user has, re-indexed to 0..K-1 per image."""
from __future__ import annotations

import numpy as np


def read_instance_ids(array: np.ndarray, path: str) -> np.ndarray:
    """Integer ids [H, W] from a decoded instance image.

    8-bit or 16-bit single channel maps and 32-bit ones (Cityscapes ``instanceIds``
    such as 26001) are used as they are; a 3-channel map encodes one id per colour
    (R*65536 + G*256 + B), e.g. a colour-coded instance PNG.
    """
    if array.ndim == 2:
        return array.astype(np.int64)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        rgb = array[..., :3].astype(np.int64)
        return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    raise ValueError(f"{path}: instance map of shape {array.shape}: expected [H, W] or [H, W, 3]")


def reindex(ids: np.ndarray, max_instances: int, path: str) -> tuple[np.ndarray, int]:
    """Map the ids of one image to 0..K-1 in sorted order of the original ids.

    Returns (int64 [H, W] map, K). More than ``max_instances`` is a ValueError naming the file.
    """
    values, inverse = np.unique(ids, return_inverse=True)
    if values.size > max_instances:
        raise ValueError(f"{path}: {values.size} instances, more than --max_instances "
                         f"{max_instances}; raise the option or merge instances")
    return inverse.reshape(ids.shape).astype(np.int64), int(values.size)
