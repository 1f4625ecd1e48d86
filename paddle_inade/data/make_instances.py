"""Write re-indexed instance maps into a dataset tree, as the original's ``make_instances.py``.

What is read and written under ``root`` (the original's choices; ``<split>`` in that order):

- ade20k: ``annotations/{validation,training}/*.png`` -> ``instances/<split>/<name>.png``
  (each class region one instance);
- celeba: ``{test,train}/labels/*.png`` -> ``{test,train}/instances/<name>.png`` (same);
- deepfashion: ``{test,train}_mask/*.png`` (class in the red channel) ->
  ``<split>_label/<name>.png`` (the class ids) and ``<split>_inst/<name>.png`` (same);
- cityscapes: ``gtFine/{val,train}/<city>/*_instanceIds.png`` -> ``*_instanceReIds.png``
  beside them.

Ids become 0..K-1 in sorted order with one ``np.unique(..., return_inverse=True)`` per
image, saved as 8-bit PNG (16-bit when K > 256, where the original's 8-bit maps wrap).
Each file is written under a hidden temporary name in its folder and renamed
(``os.replace``), so an error or interruption never leaves a half-written map; files
finished before it are complete, and running again rewrites them all.
"""
from __future__ import annotations

import glob
import logging
import os
from typing import Callable, Iterator

import numpy as np
from tqdm import tqdm

from .image_io import read_image, read_label_map
from .instances import decode_instance_ids
from .visualize import save_image

log = logging.getLogger(__name__)
DATASETS = ("ade20k", "cityscapes", "celeba", "deepfashion")

#: (source file, function returning {output path: uint8/uint16 map})
Job = tuple[str, Callable[[], dict[str, np.ndarray]]]


def reindex_ids(ids: np.ndarray) -> np.ndarray:
    """[H, W] ids -> [H, W] 0..K-1 in sorted order of the ids; uint8 when K <= 256 else uint16."""
    values, inverse = np.unique(ids, return_inverse=True)
    return inverse.reshape(ids.shape).astype(np.uint8 if values.size <= 256 else np.uint16)




def _pngs(folder: str, pattern: str = "*.png") -> list[str]:
    if not os.path.isdir(folder):
        log.warning("%s: no such folder, skipped", folder)
        return []
    return sorted(glob.glob(os.path.join(folder, pattern)))


def _from_labels(src_dir: str, dst_dir: str) -> Iterator[Job]:
    """One instance per class region of each label map."""
    for path in _pngs(src_dir):
        out = os.path.join(dst_dir, os.path.basename(path))
        yield path, (lambda p=path, o=out: {o: reindex_ids(read_label_map(p))})


def _deepfashion(root: str, split: str) -> Iterator[Job]:
    for path in _pngs(os.path.join(root, f"{split}_mask")):
        name = os.path.basename(path)

        def job(p=path, n=name):
            mask = read_image(p)
            label = mask[..., 2] if mask.ndim == 3 else mask  # OpenCV's BGR: the red channel
            return {os.path.join(root, f"{split}_label", n): label.astype(np.uint8),
                    os.path.join(root, f"{split}_inst", n): reindex_ids(label)}
        yield path, job


def _cityscapes(root: str, split: str) -> Iterator[Job]:
    for path in _pngs(os.path.join(root, "gtFine", split), os.path.join("*", "*_instanceIds.png")):
        out = path[: -len("Ids.png")] + "ReIds.png"
        yield path, (lambda p=path, o=out: {o: reindex_ids(decode_instance_ids(read_image(p), p))})


def instance_jobs(root: str, dataset: str) -> list[Job]:
    """The files ``dataset`` reads under ``root`` and what each one writes."""
    if dataset == "ade20k":
        splits = [_from_labels(os.path.join(root, "annotations", s), os.path.join(root, "instances", s))
                  for s in ("validation", "training")]
    elif dataset == "celeba":
        splits = [_from_labels(os.path.join(root, s, "labels"), os.path.join(root, s, "instances"))
                  for s in ("test", "train")]
    elif dataset == "deepfashion":
        splits = [_deepfashion(root, s) for s in ("test", "train")]
    elif dataset == "cityscapes":
        splits = [_cityscapes(root, s) for s in ("val", "train")]
    else:
        raise ValueError(f"--dataset {dataset!r} is not one of {list(DATASETS)}")
    return [job for split in splits for job in split]


def make_instances(root: str, dataset: str, progress: bool = False) -> int:
    """Write the instance maps of ``dataset`` under ``root``; return the number of files written.

    Raises FileNotFoundError when ``root`` is missing or holds none of the layout's
    sources, ValueError naming an unreadable source file.
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(f"--path {root}: no such folder")
    jobs = instance_jobs(root, dataset)
    if not jobs:
        raise FileNotFoundError(f"--path {root}: no {dataset} source maps where the layout puts them "
                                "(see the module's doc or docs_data.md)")
    written = wide = 0
    for _, job in tqdm(jobs, desc=f"{dataset} instance maps", unit="map", disable=not progress):
        for out, array in job().items():
            save_image(out, array)  # atomic; creates the folder
            written += 1
            wide += array.dtype == np.uint16
    if wide:
        log.warning("%d maps have more than 256 instances and were written as 16-bit PNG", wide)
    log.info("wrote %d files under %s", written, root)
    return written
