"""Colour preservation: give the style image the content image's colour statistics (CORAL).

Before style transfer, the style image's pixels are whitened per channel and re-coloured
with the content image's channel means, standard deviations and channel correlations,
as pytorch-AdaIN's ``coral`` does: with ``S = (X - mean) / std`` per channel (unbiased
std) and ``M = S S^T + I`` for each image, the style pixels become
``sqrt(M_content) sqrt(M_style)^-1 S_style * std_content + mean_content``. Then the
stylised result keeps the content's colours. Computed in float64 with NumPy (a symmetric
eigen-decomposition for the matrix square roots; the original uses an SVD, which is the
same for these symmetric positive definite matrices).
"""
from __future__ import annotations

import numpy as np


def _flat_stats(image: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[3, H, W] -> (pixels [3, H*W], mean [3, 1], unbiased std [3, 1]) in float64."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"coral: {what} must be a [3, H, W] colour image, got shape {image.shape}")
    flat = image.reshape(3, -1)
    if flat.shape[1] < 2:
        raise ValueError(f"coral: {what} needs at least 2 pixels")
    mean, std = flat.mean(axis=1, keepdims=True), flat.std(axis=1, ddof=1, keepdims=True)
    if (std == 0).any():
        raise ValueError(f"coral: the {what} has a constant colour channel; colour preservation needs "
                         "variation in every channel (turn off --preserve_color for it)")
    return flat, mean, std


def _sqrt_and_inverse(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Square root of a symmetric positive definite matrix and its inverse."""
    values, vectors = np.linalg.eigh(matrix)
    root = np.sqrt(np.clip(values, 0.0, None))
    return (vectors * root) @ vectors.T, (vectors / root) @ vectors.T


def coral(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``source`` [3, H, W] re-coloured with the colour statistics of ``target`` [3, H', W'].

    Floats (RGB in [0, 1] in practice); returns float32 [3, H, W], not clipped (the original
    feeds it to the encoder as it is).
    """
    src, src_mean, src_std = _flat_stats(source, "style image")
    tgt, tgt_mean, tgt_std = _flat_stats(target, "content image")
    src_norm = (src - src_mean) / src_std
    tgt_norm = (tgt - tgt_mean) / tgt_std
    _, src_inv_root = _sqrt_and_inverse(src_norm @ src_norm.T + np.eye(3))
    tgt_root, _ = _sqrt_and_inverse(tgt_norm @ tgt_norm.T + np.eye(3))
    out = (tgt_root @ (src_inv_root @ src_norm)) * tgt_std + tgt_mean
    return out.reshape(np.shape(source)).astype(np.float32)
