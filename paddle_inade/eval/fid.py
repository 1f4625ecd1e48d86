"""Fréchet Inception Distance: feature statistics of image folders and a stable distance.

The protocol follows the original's ``fid_score.py`` (pytorch-fid): images are read at
their own size as RGB in [0, 1] (``resize_size`` S optionally resizes them bilinearly to
S x 2S first, the original's Cityscapes setting), the network resizes to 299 x 299, and
the 2048-d pool features (``dims``) give (mean, covariance). Unlike the original, a last
batch smaller than ``batch_size`` is used, not dropped. On a 2-core CPU the 2048 x 2048
matrix square root alone takes about 20 s.
"""
from __future__ import annotations

import glob
import logging
import os
from typing import Iterable, Optional

import numpy as np
from scipy import linalg

log = logging.getLogger(__name__)


def statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[N, D] features -> (mean [D], covariance [D, D]) in float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"need [N >= 2, D] features, got {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    return linalg.sqrtm(matrix)  # no ``disp``: deprecated in SciPy 1.16, gone in 1.18


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrt(S1 S2)), in float64.

    Args: means [D] and covariances [D, D] of the two sets.
    ``sqrtm`` of the product can be complex or singular for nearly singular covariances;
    as pytorch-fid does, an ``eps`` offset is added to both diagonals when the result is
    not finite, and a negligible imaginary part is dropped (a large one is an error).
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise ValueError(f"statistics of different sizes: mean {mu1.shape} / {mu2.shape}, "
                         f"covariance {sigma1.shape} / {sigma2.shape}")
    diff = mu1 - mu2
    covmean = _sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        log.warning("singular product of covariances: adding %g to their diagonals", eps)
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = _sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"imaginary component {np.max(np.abs(covmean.imag))} in sqrtm")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


# --------------------------------------------------------------------------- images
def image_files(folder: str) -> list[str]:
    """Sorted image files directly in ``folder`` (at least 2)."""
    from ..data.datasets import IMAGE_EXTS
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder}: no such folder")
    files = sorted(p for p in glob.glob(os.path.join(folder, "*")) if p.lower().endswith(IMAGE_EXTS))
    if len(files) < 2:
        raise ValueError(f"{folder}: needs at least 2 images, found {len(files)}")
    return files


def read_rgb(path: str) -> np.ndarray:
    """uint8 [H, W, 3] RGB (grey images repeated to 3 channels, alpha dropped)."""
    import cv2
    from ..data.datasets import read_image
    return np.ascontiguousarray(read_image(path, cv2.IMREAD_COLOR)[..., ::-1])


def _same_size_batches(images: Iterable[np.ndarray], batch_size: int):
    """Consecutive images grouped into stacks of at most ``batch_size`` with one size."""
    batch = []
    for image in images:
        if batch and (len(batch) == batch_size or image.shape != batch[0].shape):
            yield np.stack(batch)
            batch = []
        batch.append(image)
    if batch:
        yield np.stack(batch)


def features_of_images(net, images: Iterable[np.ndarray], batch_size: int = 50,
                       resize_size: Optional[int] = None, dims: int = 2048) -> np.ndarray:
    """uint8 [H, W, 3] images (any sizes) -> float64 [N, dims] Inception features."""
    from .inception import inception_features
    feats = [inception_features(net, stack, batch_size, resize_size, dims)
             for stack in _same_size_batches(images, batch_size)]
    return np.concatenate(feats)


def folder_statistics(net, path: str, batch_size: int = 50, resize_size: Optional[int] = None,
                      dims: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(mu [dims], sigma [dims, dims]) of a folder of images, or read from a ``.npz`` (mu, sigma)."""
    if path.endswith(".npz"):
        return load_statistics(path)
    files = image_files(path)
    log.info("%s: %d images", path, len(files))
    return statistics(features_of_images(net, (read_rgb(f) for f in files), batch_size, resize_size, dims))


def save_statistics(path: str, mu: np.ndarray, sigma: np.ndarray) -> None:
    """pytorch-fid's ``.npz`` layout: ``mu`` [D], ``sigma`` [D, D]; written atomically."""
    from ..files import atomic_write

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, mu=mu, sigma=sigma)
    atomic_write(path, write)


def load_statistics(path: str) -> tuple[np.ndarray, np.ndarray]:
    """(mu [D], sigma [D, D]) from a ``.npz``; ValueError naming the file when it is not that."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such statistics file")
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable .npz of statistics ({exc})") from exc
    with data:
        if not {"mu", "sigma"} <= set(data.files):
            raise ValueError(f"{path}: needs arrays 'mu' and 'sigma', has {data.files}")
        mu, sigma = data["mu"], data["sigma"]
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise ValueError(f"{path}: mu {mu.shape} and sigma {sigma.shape} are not [D] and [D, D]")
    return mu, sigma


def load_named_statistics(root: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) stored as the original's fid_score.py stores them: ``<root>/<name>/m.npy, s.npy``."""
    folder = os.path.join(root, name)
    paths = [os.path.join(folder, f) for f in ("m.npy", "s.npy")]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(f"no statistics named {name!r}: {missing} missing (written by --save_np_name {name})")
    try:
        mu, sigma = (np.load(p, allow_pickle=False) for p in paths)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{folder}: not readable statistics ({exc})") from exc
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise ValueError(f"{folder}: m.npy {mu.shape} and s.npy {sigma.shape} are not [D] and [D, D]")
    return mu, sigma


def save_named_statistics(root: str, name: str, mu: np.ndarray, sigma: np.ndarray) -> None:
    """Write ``<root>/<name>/m.npy, s.npy`` (the original's layout), both or neither."""
    from ..files import atomic_write_all

    def writer(array):
        def write(tmp: str) -> None:
            with open(tmp, "wb") as fh:
                np.save(fh, array)
        return write
    folder = os.path.join(root, name)
    atomic_write_all([(os.path.join(folder, "m.npy"), writer(mu)), (os.path.join(folder, "s.npy"), writer(sigma))])
