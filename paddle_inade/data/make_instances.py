"""Write re-indexed instance maps for a dataset tree (the original's make_instances.py).

ade20k: ``annotations/{training,validation}/*.png`` -> ``instances/<split>/`` (every class
region one instance); celeba: ``{train,test}/labels`` -> ``{train,test}/instances``;
deepfashion: ``{train,test}_mask`` (class in channel 0) -> ``{set}_label`` and ``{set}_inst``;
cityscapes: ``gtFine/*/*/*_instanceIds.png`` -> ``*_instanceReIds.png``. Ids become
0..K-1 in sorted order, one ``np.unique`` per image; each file is written under a
temporary name and renamed, so no half-written map is ever left.
"""
from __future__ import annotations

import glob
import logging
import os
from typing import Callable, Iterator

import cv2
import numpy as np
from tqdm import tqdm

from .instances import read_instance_ids

log = logging.getLogger(__name__)
DATASETS = ("ade20k", "cityscapes", "celeba", "deepfashion")


def reindex_ids(ids: np.ndarray) -> np.ndarray:
    """[H, W] ids -> 0..K-1 (sorted order), uint8 when K <= 256 else uint16."""
    values, inverse = np.unique(ids, return_inverse=True)
    dtype = np.uint8 if values.size <= 256 else np.uint16
    return inverse.reshape(ids.shape).astype(dtype)


def _write_png(path: str, array: np.ndarray) -> None:
    tmp = f"{os.path.splitext(path)[0]}.tmp-{os.getpid()}.png"
    try:
        if not cv2.imwrite(tmp, array):
            raise OSError(f"could not write {path}")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read(path: str) -> np.ndarray:
    array = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ValueError(f"{path}: not a readable image")
    return array


Job = tuple[str, Callable[[], dict[str, np.ndarray]]]


def _label_jobs(src_dir: str, dst_dir: str) -> Iterator[Job]:
    for path in sorted(glob.glob(os.path.join(src_dir, "*.png"))):
        out = os.path.join(dst_dir, os.path.basename(path))
        yield path, (lambda p=path, o=out: {o: reindex_ids(read_instance_ids(_read(p), p))})


def _jobs(root: str, dataset: str) -> Iterator[Job]:
    if dataset == "ade20k":
        for split in ("validation", "training"):
            yield from _label_jobs(os.path.join(root, "annotations", split), os.path.join(root, "instances", split))
    elif dataset == "celeba":
        for split in ("test", "train"):
            yield from _label_jobs(os.path.join(root, split, "labels"), os.path.join(root, split, "instances"))
    elif dataset == "deepfashion":
        for split in ("test", "train"):
            for path in sorted(glob.glob(os.path.join(root, f"{split}_mask", "*.png"))):
                name = os.path.basename(path)

                def job(p=path, s=split, n=name):
                    mask = _read(p)
                    label = (mask[..., 2] if mask.ndim == 3 else mask).astype(np.uint8)  # RGB channel 0
                    return {os.path.join(root, f"{s}_label", n): label,
                            os.path.join(root, f"{s}_inst", n): reindex_ids(label)}
                yield path, job
    elif dataset == "cityscapes":
        for path in sorted(glob.glob(os.path.join(root, "gtFine", "*", "*", "*_instanceIds.png"))):
            out = path.replace("_instanceIds.png", "_instanceReIds.png")
            yield path, (lambda p=path, o=out: {o: reindex_ids(read_instance_ids(_read(p), p))})
    else:
        raise ValueError(f"--dataset {dataset!r} is not one of {list(DATASETS)}")


def make_instances(root: str, dataset: str, progress: bool = False) -> int:
    """Write the instance maps of ``dataset`` under ``root``; return how many files."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f"--path {root}: no such folder")
    jobs = list(_jobs(root, dataset))
    if not jobs:
        raise FileNotFoundError(f"--path {root}: no {dataset} label/instance files found where "
                                "the layout puts them (see the README's dataset section)")
    written = 0
    for _, job in tqdm(jobs, desc=f"{dataset} instances", disable=not progress):
        for out, array in job().items():
            os.makedirs(os.path.dirname(out), exist_ok=True)
            _write_png(out, array)
            written += 1
    return written
