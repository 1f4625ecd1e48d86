"""PairedDataset: (label, photo, instance, sketch) files paired by name, loaded as one sample.

A layout (``datasets.py``) lists the files (:meth:`PairedDataset.find_files`) and says
how names pair (:meth:`PairedDataset.pair_key`); this class pairs them, checks them and
loads samples: one resize/crop/flip for all maps, class ids with 255 -> ``label_nc``
(dontcare), instance ids re-indexed to 0..K-1.
"""
from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass
from typing import Optional

import numpy as np
import paddle

from .image_io import list_images, read_gray, read_image, read_label_map, read_photo
from .instances import decode_instance_ids, reindex, resizable
from .options import DataConfig
from .transforms import apply_transform, get_params, normalize_photo

log = logging.getLogger(__name__)
EVAL_PHASES = ("test", "val")


@dataclass
class FileLists:
    """What a layout found. ``instances``/``sketches`` None: not used (or derived)."""

    labels: list[str]
    label_dir: str
    images: list[str]
    image_dir: str
    instances: Optional[list[str]] = None
    instance_dir: str = ""
    sketches: Optional[list[str]] = None
    sketch_dir: str = ""


Item = tuple[str, str, Optional[str], Optional[str]]  # label, image, instance, sketch


def stem(path: str) -> str:
    """File name without folder and extension."""
    return os.path.splitext(os.path.basename(path))[0]


def _by_key(paths: list[str], key, folder: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for path in paths:
        k = key(path)
        if k in table:
            raise ValueError(f"{folder}: {table[k]} and {path} both pair with name '{k}'; keep one")
        table[k] = path
    return table


def _pair_by_name(files: FileLists, key) -> list[Item]:
    images = _by_key(files.images, key, files.image_dir)
    insts = _by_key(files.instances or [], key, files.instance_dir)
    sketches = _by_key(files.sketches or [], key, files.sketch_dir)
    items = []
    for label in files.labels:
        k = key(label)
        if k not in images:
            raise ValueError(f"{label}: no image named like it ('{k}') in {files.image_dir}; "
                             "set no_pairing_check to pair files by sorted order")
        if files.instances is not None and k not in insts:
            raise ValueError(f"{label}: no instance map named like it ('{k}') in {files.instance_dir}")
        if files.sketches is not None and k not in sketches:
            raise ValueError(f"{label}: no sketch named like it ('{k}') in {files.sketch_dir}")
        items.append((label, images[k], insts.get(k), sketches.get(k)))
    return items


def _pair_by_order(files: FileLists) -> list[Item]:
    n = len(files.labels)
    for what, paths, folder in (("images", files.images, files.image_dir),
                                ("instance maps", files.instances, files.instance_dir),
                                ("sketches", files.sketches, files.sketch_dir)):
        if paths is not None and len(paths) != n:
            raise ValueError(f"{n} label maps but {len(paths)} {what} in {folder}: no_pairing_check "
                             "pairs files by sorted order, so the counts must match")
    none = [None] * n
    return list(zip(files.labels, files.images, files.instances or none, files.sketches or none))


class PairedDataset(paddle.io.Dataset):
    """Samples of one layout. Subclasses implement :meth:`find_files`.

    Each item is a dict: ``label`` int64 [1, H, W] (class ids, dontcare = ``label_nc``),
    ``instance`` int64 [1, H, W] (ids 0..K-1), ``image`` float32 [3, H, W] in [-1, 1],
    ``sketch`` float32 [1, H, W] in [0, 1] (zeros without ``add_sketch``), ``path``
    (the photo's file) and ``num_instances`` (K).
    """

    #: A missing instance folder means "one instance per class region" (the maps the
    #: original's make_instances.py derives from the labels) instead of an error.
    derives_instances = False
    #: Said when a label value is out of range (e.g. the layout's id convention).
    label_note = ""

    def __init__(self, cfg: DataConfig):
        super().__init__()
        self.cfg = cfg
        files = self.find_files(cfg)
        items = _pair_by_order(files) if cfg.no_pairing_check else _pair_by_name(files, self.pair_key)
        self.items = items[: cfg.max_dataset_size] if cfg.max_dataset_size else items
        if not self.items:
            raise FileNotFoundError(f"{files.label_dir}: no label maps there (dataset_mode "
                                    f"{cfg.dataset_mode}, phase {cfg.phase})")
        log.info("dataset [%s] of size %d was created", type(self).__name__, len(self.items))

    # ------------------------------------------------------------------ layout hooks
    def find_files(self, cfg: DataConfig) -> FileLists:
        """The layout's file lists (folders that must exist raise FileNotFoundError)."""
        raise NotImplementedError

    @staticmethod
    def pair_key(path: str) -> str:
        """The name files of one sample share (default: the stem)."""
        return stem(path)

    def postprocess_label(self, label: np.ndarray) -> np.ndarray:
        """File values -> class ids, 255 = dontcare (int64 in, int64 out)."""
        return label

    def folder_lists(self, label_dir: str, image_dir: str, instance_dir: str, sketch_dir: str,
                     option: str = "dataroot") -> FileLists:
        """The files of four flat folders (instances optional, sketches with ``add_sketch``)."""
        return FileLists(
            labels=list_images(label_dir, option), label_dir=label_dir,
            images=list_images(image_dir, option), image_dir=image_dir,
            instances=self.optional_instances(instance_dir, option), instance_dir=instance_dir,
            sketches=list_images(sketch_dir, option) if self.cfg.add_sketch else None, sketch_dir=sketch_dir)

    def optional_instances(self, folder: str, option: str = "dataroot") -> Optional[list[str]]:
        """Instance files in ``folder``; None when ``no_instance`` or (for layouts that
        derive instances) when the folder is missing."""
        if self.cfg.no_instance:
            return None
        if not os.path.isdir(folder) and self.derives_instances:
            log.info("%s: no instance maps; each class region is one instance", folder)
            return None
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"{folder}: no such folder (from --{option}); this layout needs "
                                    "instance maps there (or set no_instance)")
        return list_images(folder, option)

    # ------------------------------------------------------------------ loading
    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.load(index)

    def load(self, index: int, rng: Optional[random.Random] = None) -> dict:
        """Sample ``index``; its random crop and flip drawn from ``rng`` (default: Python's
        global ``random``, as the original)."""
        cfg = self.cfg
        label_path, image_path, inst_path, sketch_path = self.items[index]
        raw = read_label_map(label_path)
        self._check_label_values(raw, label_path)
        photo = read_photo(image_path)
        size = raw.shape[:2]
        _check_same_size(size, label_path, photo.shape[:2], image_path)
        params = get_params(cfg, (size[1], size[0]), rng)
        raw = apply_transform(resizable(raw, label_path), cfg, params, nearest=True)
        instance, k = self._instances(inst_path, raw, label_path, size, params)
        return {"label": self._class_ids(raw)[None],
                "instance": instance[None],
                "image": normalize_photo(apply_transform(photo, cfg, params, nearest=False)),
                "sketch": (self._sketch(sketch_path, label_path, size, params) if sketch_path
                           else np.zeros((1, *raw.shape), np.float32)),
                "path": image_path,
                "num_instances": k}

    def _class_ids(self, raw: np.ndarray) -> np.ndarray:
        label = self.postprocess_label(raw.astype(np.int64))
        if self.cfg.contain_dontcare_label:
            label[label == 255] = self.cfg.label_nc
        return label

    def _check_label_values(self, raw: np.ndarray, path: str) -> None:
        """Every value must give a class < label_nc, or 255 with contain_dontcare_label."""
        cfg = self.cfg
        small = raw.dtype in (np.uint8, np.uint16)
        values = np.flatnonzero(np.bincount(raw.ravel())) if small else np.unique(raw)
        classes = self.postprocess_label(values.astype(np.int64))
        ok = (classes >= 0) & (classes < cfg.label_nc)
        if cfg.contain_dontcare_label:
            ok |= classes == 255
        if ok.all():
            return
        bad, bad_classes = values[~ok][:8].tolist(), classes[~ok][:8].tolist()
        shown = f"{bad}" if bad == bad_classes else f"{bad} (class {bad_classes})"
        hint = " (255 is dontcare: set contain_dontcare_label)" if 255 in bad_classes else ""
        raise ValueError(f"{path}: label value(s) {shown} >= label_nc {cfg.label_nc}{hint}; "
                         f"class ids must be 0..{cfg.label_nc - 1}"
                         f"{', or 255 for dontcare' if cfg.contain_dontcare_label else ''}{self.label_note}")

    def _instances(self, path: Optional[str], raw_label: np.ndarray, label_path: str, size, params):
        """(int64 [h, w] ids 0..K-1, K) of the transformed sample; from the transformed
        label map when there is no instance file. ``size``: the label file's (H, W)."""
        if path is None:
            return reindex(raw_label, self.cfg.max_instances, label_path)
        array = read_image(path)
        _check_same_size(array.shape[:2], path, size, label_path)
        ids = apply_transform(decode_instance_ids(array, path), self.cfg, params, nearest=True)
        return reindex(ids, self.cfg.max_instances, path)

    def _sketch(self, path: str, label_path: str, size, params) -> np.ndarray:
        """float32 [1, h, w] in [0, 1] (the original's ToTensor of the grey sketch)."""
        sketch = read_gray(path)
        _check_same_size(sketch.shape[:2], path, size, label_path)
        sketch = apply_transform(sketch, self.cfg, params, nearest=True)
        return (sketch.astype(np.float32) / np.float32(255.0))[None]


def _check_same_size(size_a, path_a: str, size_b, path_b: str) -> None:
    """Two files of one sample must have one (H, W): a ValueError naming both and both sizes."""
    if tuple(size_a) != tuple(size_b):
        raise ValueError(f"{path_a} is {size_a[1]}x{size_a[0]} but {path_b} is {size_b[1]}x{size_b[0]} "
                         "(width x height): the files of one sample must have one size")
