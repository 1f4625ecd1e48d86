"""Adaptive instance normalisation on feature maps, and what test-time style transfer does with it.

``calc_mean_std`` and ``adaptive_instance_normalization`` compute what pytorch-AdaIN's
``function.py`` computes: per sample and channel, the mean and the standard deviation
``sqrt(unbiased variance + eps)`` over the spatial positions; AdaIN gives the content
features the style's mean and std. ``blend``, ``interpolate_styles`` and ``masked_adain``
are the alpha trade-off, the weighted mix of several styles (as its ``test.py``) and the
spatial control with masks (as the authors' Lua ``test.lua``; pytorch-AdaIN has none).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import paddle

#: Added to the variance before the square root (the original's default).
EPS = 1e-5


def calc_mean_std(feat: paddle.Tensor, eps: float = EPS) -> tuple[paddle.Tensor, paddle.Tensor]:
    """feat [N, C, H, W] -> (mean, std), each [N, C, 1, 1]; std = sqrt(unbiased var + eps)."""
    if feat.ndim != 4:
        raise ValueError(f"calc_mean_std expects a feature map [N, C, H, W], got shape {list(feat.shape)}")
    n, c = feat.shape[:2]
    flat = feat.reshape([n, c, -1])
    if flat.shape[2] < 2:
        raise ValueError(f"calc_mean_std needs at least 2 positions per channel for the unbiased "
                         f"variance, got a {feat.shape[2]}x{feat.shape[3]} map")
    mean = flat.mean(axis=2, keepdim=True)
    var = (flat - mean).square().sum(axis=2) / (flat.shape[2] - 1)  # two-pass, unbiased
    return mean.reshape([n, c, 1, 1]), paddle.sqrt(var + eps).reshape([n, c, 1, 1])


def adaptive_instance_normalization(content_feat: paddle.Tensor, style_feat: paddle.Tensor) -> paddle.Tensor:
    """AdaIN(x, y) = std(y) * (x - mean(x)) / std(x) + mean(y), per sample and channel.

    content_feat [N, C, H, W], style_feat [N, C, H', W'] (any size) -> [N, C, H, W].
    """
    if list(content_feat.shape[:2]) != list(style_feat.shape[:2]):
        raise ValueError(f"AdaIN: content features {list(content_feat.shape)} and style features "
                         f"{list(style_feat.shape)} must agree in batch and channels")
    style_mean, style_std = calc_mean_std(style_feat)
    content_mean, content_std = calc_mean_std(content_feat)
    normalized = (content_feat - content_mean) / content_std
    return normalized * style_std + style_mean


adain = adaptive_instance_normalization


def blend(target: paddle.Tensor, content_feat: paddle.Tensor, alpha: float) -> paddle.Tensor:
    """The content-style trade-off ``alpha * target + (1 - alpha) * content`` (0 <= alpha <= 1)."""
    check_alpha(alpha)
    return target * alpha + content_feat * (1 - alpha)


def check_alpha(alpha: float) -> None:
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1 (the degree of stylisation), got {alpha}")


def normalize_weights(weights: Sequence[float], n_styles: int) -> list[float]:
    """Interpolation weights divided by their sum (as the original's test.py does)."""
    weights = [float(w) for w in weights]
    if len(weights) != n_styles:
        raise ValueError(f"{len(weights)} interpolation weights for {n_styles} styles: give one per style")
    if any(w < 0 or not np.isfinite(w) for w in weights) or sum(weights) <= 0:
        raise ValueError(f"interpolation weights must be non-negative with a positive sum, got {weights}")
    total = sum(weights)
    return [w / total for w in weights]


def interpolate_styles(content_feat: paddle.Tensor, style_feats: Sequence[paddle.Tensor],
                       weights: Sequence[float]) -> paddle.Tensor:
    """sum_i w_i * AdaIN(content, style_i): content_feat [1, C, H, W], each style [1, C, h_i, w_i].

    ``weights`` are used as given (normalise them with :func:`normalize_weights`)."""
    if len(weights) != len(style_feats):
        raise ValueError(f"{len(weights)} weights for {len(style_feats)} styles")
    out = paddle.zeros_like(content_feat)
    for weight, style_feat in zip(weights, style_feats):
        out = out + weight * adaptive_instance_normalization(content_feat, style_feat)
    return out


def nearest_resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """bool [H, W] -> bool [height, width], nearest neighbour (source index floor(i * H / height),
    PyTorch's ``interpolate(mode='nearest')``)."""
    rows = np.floor(np.arange(height) * (mask.shape[0] / height)).astype(np.int64)
    cols = np.floor(np.arange(width) * (mask.shape[1] / width)).astype(np.int64)
    return mask[rows][:, cols]


def masked_adain(content_feat: paddle.Tensor, style_feats: Sequence[paddle.Tensor],
                 regions: Sequence[np.ndarray]) -> paddle.Tensor:
    """Spatial control: the content positions of region k get AdaIN with style k.

    content_feat [1, C, H, W]; style_feats: K tensors [1, C, h_k, w_k]; regions: K bool masks
    [H, W] at the feature size that together cover every position exactly once. Region k's
    content statistics are taken over its own positions (the Lua test's gather, AdaIN,
    scatter back), the style statistics over the whole style image.
    """
    if content_feat.shape[0] != 1:
        raise ValueError("masked_adain takes one content image")
    if len(style_feats) != len(regions):
        raise ValueError(f"{len(regions)} mask regions for {len(style_feats)} styles: give one per style")
    c, h, w = content_feat.shape[1:]
    regions = [np.asarray(r, dtype=bool) for r in regions]
    if any(r.shape != (h, w) for r in regions):
        raise ValueError(f"mask regions must be {h}x{w} (the feature size), got {[r.shape for r in regions]}")
    cover = np.sum(regions, axis=0)
    if (cover != 1).any():
        raise ValueError(f"the mask regions must cover every feature position exactly once; "
                         f"{int((cover == 0).sum())} uncovered, {int((cover > 1).sum())} covered twice")
    flat = content_feat.reshape([1, c, h * w, 1])
    out = paddle.zeros_like(content_feat)
    for k, (style_feat, region) in enumerate(zip(style_feats, regions)):
        count = int(region.sum())
        if count < 2:
            raise ValueError(f"mask region {k} covers {count} of the {h}x{w} relu4_1 positions; it needs "
                             "at least 2 (make it larger, or the content image larger)")
        index = paddle.to_tensor(np.flatnonzero(region.reshape(-1)))
        content_mean, content_std = calc_mean_std(paddle.index_select(flat, index, axis=2))
        style_mean, style_std = calc_mean_std(style_feat)
        styled = (content_feat - content_mean) / content_std * style_std + style_mean
        out = paddle.where(paddle.to_tensor(region[None, None]), styled, out)
    return out
