"""Datasets of the original's layouts (``--dataset_mode``), as ``paddle.io.Dataset``.

Every layout lists (label, image, instance, sketch) files, pairs them by name, and
loads a sample through :class:`PairedDataset`: the same crop and flip for all maps,
labels with 255 -> ``label_nc`` (dontcare), instance ids re-indexed to 0..K-1.
"""
from __future__ import annotations

import glob
import os
import re
from typing import Callable, Optional

import cv2
import numpy as np
import paddle

from .instances import read_instance_ids, reindex
from .options import DataConfig
from .transforms import apply_geometry, draw_geometry

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def _natural_key(path: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", os.path.basename(path))]


def list_images(folder: str, option: str, recursive: bool = False, suffix: str = "") -> list[str]:
    """Sorted image files in ``folder``; a missing folder is an error naming ``option``."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder}: no such folder (from --{option})")
    pattern = os.path.join(folder, "**", "*") if recursive else os.path.join(folder, "*")
    files = [p for p in glob.glob(pattern, recursive=recursive)
             if p.lower().endswith(IMAGE_EXTS) and p.endswith(suffix)]
    return sorted(files, key=_natural_key)


def read_image(path: str, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Decode ``path`` with OpenCV; unreadable or truncated files are a ValueError naming it."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from exc
    if path.lower().endswith((".jpg", ".jpeg")) and b"\xff\xd9" not in raw[-4096:]:
        raise ValueError(f"{path}: truncated JPEG (no end-of-image marker)")
    array = cv2.imdecode(np.frombuffer(raw, np.uint8), flags)
    if array is None:
        raise ValueError(f"{path}: not a readable image (corrupt or truncated?)")
    return array


class PairedDataset(paddle.io.Dataset):
    """Samples from aligned file lists.

    Each item is a dict: ``label`` int64 [1, H, W], ``instance`` int64 [1, H, W] (ids
    0..K-1), ``image`` float32 [3, H, W] in [-1, 1], ``sketch`` float32 [1, H, W] in [0, 1]
    (zeros without ``add_sketch``), ``path`` (the image file) and ``num_instances`` (K).
    """

    def __init__(self, cfg: DataConfig, labels: list[str], images: list[str],
                 instances: Optional[list[str]], sketches: Optional[list[str]],
                 pair_key: Callable[[str], str], label_hook: Optional[Callable] = None):
        super().__init__()
        self.cfg = cfg
        self.label_hook = label_hook
        self.items = self._pair(labels, images, instances, sketches, pair_key)
        if cfg.max_dataset_size is not None:
            self.items = self.items[: cfg.max_dataset_size]
        if not self.items:
            raise FileNotFoundError(f"no label/image pairs found for --dataset_mode {cfg.dataset_mode} "
                                    f"(--dataroot {cfg.dataroot})")

    def _pair(self, labels, images, instances, sketches, key):
        if self.cfg.no_pairing_check:
            if len(labels) != len(images):
                raise ValueError(f"{len(labels)} label maps but {len(images)} images "
                                 "(--no_pairing_check pairs them by sorted order)")
            by_image = dict(zip([key(p) for p in labels], images))
        else:
            by_image = {key(p): p for p in images}
        by_inst = {key(p): p for p in instances or []}
        by_sketch = {key(p): p for p in sketches or []}
        items = []
        for label in labels:
            k = key(label)
            if k not in by_image:
                folder = os.path.dirname(images[0]) if images else "the image folder"
                raise ValueError(f"{label}: no image named like it ('{k}.*') in {folder}; "
                                 "use --no_pairing_check to pair by sorted order")
            if instances is not None and k not in by_inst:
                raise ValueError(f"{label}: no instance map named like it ('{k}.*')")
            if sketches is not None and k not in by_sketch:
                raise ValueError(f"{label}: no sketch named like it ('{k}.*')")
            items.append((label, by_image[k], by_inst.get(k), by_sketch.get(k)))
        return items

    def __len__(self) -> int:
        return len(self.items)

    def _label(self, path: str) -> np.ndarray:
        label = read_image(path)
        if label.ndim == 3:
            if not (label[..., :1] == label[..., :3]).all():
                raise ValueError(f"{path}: label maps must hold one class id per pixel "
                                 f"(single channel), got {label.shape[2]} differing channels")
            label = label[..., 0]
        return label.astype(np.int64)

    def _check_labels(self, label: np.ndarray, path: str) -> np.ndarray:
        cfg = self.cfg
        dontcare = label == 255
        if dontcare.any():
            if not cfg.contain_dontcare_label:
                raise ValueError(f"{path}: label 255 (dontcare) found but --contain_dontcare_label "
                                 "is not set")
            label = np.where(dontcare, cfg.label_nc, label)
        limit = cfg.label_nc + (1 if cfg.contain_dontcare_label else 0)
        bad = label[(label >= limit) | (label < 0)]
        if bad.size:
            raise ValueError(f"{path}: label value {int(bad.max())} >= --label_nc {cfg.label_nc} "
                             "(only 255 may exceed it, as dontcare)")
        return label

    def __getitem__(self, index: int) -> dict:
        cfg = self.cfg
        label_path, image_path, inst_path, sketch_path = self.items[index]
        label = self._label(label_path)
        image = read_image(image_path, cv2.IMREAD_COLOR)[..., ::-1]
        if image.shape[:2] != label.shape:
            raise ValueError(f"{label_path} is {label.shape[1]}x{label.shape[0]} but {image_path} is "
                             f"{image.shape[1]}x{image.shape[0]}: a label map and its photo must match")
        geometry = draw_geometry(cfg, label.shape[1], label.shape[0])
        label = apply_geometry(label.astype(np.int32), cfg, geometry, nearest=True).astype(np.int64)
        if self.label_hook is not None:
            label = self.label_hook(label)
        label = self._check_labels(label, label_path)
        image = apply_geometry(np.ascontiguousarray(image), cfg, geometry, nearest=False)
        inst, k = self._instances(inst_path, label, geometry)
        sample = {"label": label[None], "instance": inst[None],
                  "image": (image.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0),
                  "sketch": self._sketch(sketch_path, label.shape, geometry),
                  "path": image_path, "num_instances": k}
        return sample

    def _instances(self, path, label, geometry):
        if self.cfg.no_instance:
            return np.zeros_like(label), 1
        if path is None:  # no instance maps: every class region is one instance
            return reindex(label, self.cfg.max_instances, "label map")
        raw = read_image(path)
        ids = read_instance_ids(raw, path)
        shape = label.shape
        ids = apply_geometry(ids.astype(np.float64) if ids.max() > 2 ** 31 - 1 else ids.astype(np.int32),
                             self.cfg, geometry, nearest=True)
        if ids.shape != shape:
            raise ValueError(f"{path}: instance map is {ids.shape[1]}x{ids.shape[0]} after the "
                             f"transform, the label map {shape[1]}x{shape[0]}: they must match")
        return reindex(ids, self.cfg.max_instances, path)

    def _sketch(self, path, shape, geometry) -> np.ndarray:
        if path is None:
            return np.zeros((1, *shape), np.float32)
        sketch = read_image(path, cv2.IMREAD_GRAYSCALE)
        sketch = apply_geometry(sketch, self.cfg, geometry, nearest=True)
        return (sketch.astype(np.float32) / 255.0)[None]


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _strip(*suffixes: str) -> Callable[[str], str]:
    def key(path: str) -> str:
        name = _stem(path)
        for suffix in suffixes:
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name
    return key


def _split(cfg: DataConfig, train: str, test: str) -> str:
    return test if cfg.phase in ("test", "val") else train


def _custom(cfg: DataConfig) -> PairedDataset:
    labels = list_images(cfg.label_dir, "label_dir")
    images = list_images(cfg.image_dir, "image_dir")
    instances = list_images(cfg.instance_dir, "instance_dir") if cfg.instance_dir else None
    sketches = list_images(cfg.sketch_dir, "sketch_dir") if cfg.add_sketch else None
    return PairedDataset(cfg, labels, images, instances, sketches, _stem)


def _phase_folders(cfg: DataConfig, sketch_name: str) -> PairedDataset:
    """COCO-Stuff and DeepFashion: ``{phase}_label``, ``{phase}_img``, ``{phase}_inst``."""
    phase = _split(cfg, cfg.phase, "val" if cfg.dataset_mode == "coco" else "test")
    folder = lambda name: os.path.join(cfg.dataroot, f"{phase}_{name}")  # noqa: E731
    instances = None if cfg.no_instance else list_images(folder("inst"), "dataroot")
    sketches = list_images(folder(sketch_name), "dataroot") if cfg.add_sketch else None
    return PairedDataset(cfg, list_images(folder("label"), "dataroot"),
                         list_images(folder("img"), "dataroot"), instances, sketches, _stem)


def _ade20k(cfg: DataConfig) -> PairedDataset:
    split = _split(cfg, "training", "validation")
    root = cfg.dataroot
    inst_dir = os.path.join(root, "instances", split)
    instances = list_images(inst_dir, "dataroot") if os.path.isdir(inst_dir) else None
    sketches = list_images(os.path.join(root, "edgesD", split), "dataroot") if cfg.add_sketch else None

    def unknown_to_dontcare(label):  # ADE20K: 0 is 'unknown'; classes 1..150 -> 0..149
        return np.where(label == 0, 255, label - 1)

    return PairedDataset(cfg, list_images(os.path.join(root, "annotations", split), "dataroot"),
                         list_images(os.path.join(root, "images", split), "dataroot"),
                         instances, sketches, _stem, label_hook=unknown_to_dontcare)


def _cityscapes(cfg: DataConfig) -> PairedDataset:
    split = _split(cfg, "train", "val")
    gt = os.path.join(cfg.dataroot, "gtFine", split)
    labels = list_images(gt, "dataroot", recursive=True, suffix="_labelIds.png")
    instances = None
    if not cfg.no_instance:
        instances = list_images(gt, "dataroot", recursive=True, suffix="_instanceReIds.png") or \
            list_images(gt, "dataroot", recursive=True, suffix="_instanceIds.png")
    sketches = list_images(gt, "dataroot", recursive=True, suffix="_edgeD.png") if cfg.add_sketch else None
    images = list_images(os.path.join(cfg.dataroot, "leftImg8bit", split), "dataroot", recursive=True)
    key = lambda p: "_".join(os.path.basename(p).split("_")[:3])  # noqa: E731  city_seq_frame
    return PairedDataset(cfg, labels, images, instances, sketches, key)


def _celeba(cfg: DataConfig) -> PairedDataset:
    root = os.path.join(cfg.dataroot, _split(cfg, "train", "test"))
    inst_dir = os.path.join(root, "instances")
    return PairedDataset(cfg, list_images(os.path.join(root, "labels"), "dataroot"),
                         list_images(os.path.join(root, "images"), "dataroot"),
                         list_images(inst_dir, "dataroot") if os.path.isdir(inst_dir) else None,
                         list_images(os.path.join(root, "edgesD"), "dataroot") if cfg.add_sketch else None,
                         _stem)


def _toy(cfg: DataConfig) -> PairedDataset:
    from .toy_scenes import ensure_toy_dataset
    given = cfg.dataroot and os.path.isfile(os.path.join(cfg.dataroot, "meta.json"))
    root = cfg.dataroot if given else ensure_toy_dataset(cfg.dataroot or None)
    split = _split(cfg, "train", "val")
    folder = lambda name: os.path.join(root, f"{split}_{name}")  # noqa: E731
    return PairedDataset(cfg, list_images(folder("label"), "dataroot"), list_images(folder("img"), "dataroot"),
                         list_images(folder("inst"), "dataroot"), None, _stem)


_LAYOUTS = {"custom": _custom, "coco": lambda c: _phase_folders(c, "edgeD"),
            "deepfashion": lambda c: _phase_folders(c, "edgeD"), "ade20k": _ade20k,
            "cityscapes": _cityscapes, "celeba": _celeba, "toy": _toy}


def create_dataset(cfg: DataConfig) -> PairedDataset:
    """The dataset of ``cfg.dataset_mode``."""
    return _LAYOUTS[cfg.dataset_mode](cfg)


def collate_fn(samples: list[dict]) -> dict:
    """Stack samples into a batch of numpy arrays; ``path`` becomes a list.

    Instance maps are not padded: a batch's one-hot instance map has K = the largest
    id in the batch + 1, so samples with fewer instances get empty channels (which the
    encoder's pooling and ILADE treat as absent).
    """
    batch = {}
    for key in samples[0]:
        values = [s[key] for s in samples]
        batch[key] = values if key == "path" else np.stack(values) if isinstance(values[0], np.ndarray) \
            else np.asarray(values)
    return batch
