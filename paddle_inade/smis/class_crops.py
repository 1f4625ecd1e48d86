"""Class crops: what GroupDNet's encoder sees (SMIS's ``trans_img``).

For every sample and every class channel c, the photo is multiplied by the class mask, cut to
the bounding box of the columns and rows whose masked values do not sum to zero, and resized
(nearest) to ``target``; the crops are concatenated class after class into [N, 3 L, Ht, Wt].
A class absent from the image gives its (all-zero) masked photo. The cityscapes family leaves
out the last channel (the instance edge map); the others include every channel of
input_semantics, as SMIS does.
"""
from __future__ import annotations

import numpy as np
import paddle


def nearest_indices(size_in: int, size_out: int) -> np.ndarray:
    """Source index of each output index for nearest resizing, as torch's ``F.interpolate``
    (mode 'nearest', no scale factor): floor(i * (in / out)) in float32, clipped."""
    if size_in == size_out:
        return np.arange(size_out)
    scale = np.float32(size_in) / np.float32(size_out)
    idx = np.floor(np.arange(size_out, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(idx, size_in - 1)


def _crop_resize(masked: np.ndarray, target: tuple[int, int]) -> np.ndarray:
    """[3, H, W] masked photo -> [3, Ht, Wt]: its non-zero bounding box, resized."""
    plane = masked.sum(axis=0)
    cols = np.nonzero(plane.sum(axis=0))[0]
    rows = np.nonzero(plane.sum(axis=1))[0]
    if cols.size == 0:
        r0, r1, c0, c1 = 0, masked.shape[1], 0, masked.shape[2]
    else:
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    ri = r0 + nearest_indices(r1 - r0, target[0])
    ci = c0 + nearest_indices(c1 - c0, target[1])
    return masked[:, ri][:, :, ci]


def class_crops(input_semantics, image, target: tuple[int, int], skip_last: bool) -> paddle.Tensor:
    """input_semantics [N, C, H, W], image [N, 3, H, W] -> [N, 3 C', Ht, Wt] float32 where C' is
    C, or C - 1 with ``skip_last``. No gradient flows (the encoder's input is data)."""
    sem = np.asarray(input_semantics.numpy() if isinstance(input_semantics, paddle.Tensor)
                     else input_semantics, dtype=np.float32)
    img = np.asarray(image.numpy() if isinstance(image, paddle.Tensor) else image, dtype=np.float32)
    channels = sem.shape[1] - (1 if skip_last else 0)
    out = np.empty((sem.shape[0], 3 * channels, *target), dtype=np.float32)
    for b in range(sem.shape[0]):
        for c in range(channels):
            out[b, 3 * c:3 * c + 3] = _crop_resize(img[b] * sem[b, c], target)
    return paddle.to_tensor(out)


def encoder_input(cfg, input_semantics, image) -> paddle.Tensor:
    """The encoder's input for an :class:`~paddle_inade.smis.SMISConfig`: the class crops at
    ``cfg.crop_target``, without the edge channel for the cityscapes family."""
    return class_crops(input_semantics, image, cfg.crop_target, skip_last=cfg.layout == "cityscapes")
