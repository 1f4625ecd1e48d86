"""The original's dataset layouts (``dataset_mode``) as ``paddle.io.Dataset`` classes.

Every class lists its files and pairs them by name; :class:`~.base.PairedDataset` loads
the samples. Folder trees (``phase`` 'test' or 'val' reads the evaluation split):

- ``ade20k``: ``images/{training,validation}/*.jpg``, ``annotations/<split>/*.png``
  (0 = unknown -> dontcare, 1..150 -> 0..149), ``instances/<split>/*.png``
  (``tools/make_instances.py``; missing: one instance per class region, the same maps),
  ``edgesD/<split>/*.png`` (sketches).
- ``cityscapes``: ``gtFine/{train,val}/<city>/*_gtFine_labelIds.png``,
  ``*_gtFine_instanceIds.png`` (or make_instances' ``*_instanceReIds.png``),
  ``*_edgeD.png``; ``leftImg8bit/<split>/<city>/*_leftImg8bit.png``. Paired by
  ``<city>_<seq>_<frame>``.
- ``coco`` (COCO-Stuff, as SPADE): ``{train,val}_label/*.png``, ``{train,val}_img/*.jpg``,
  ``{train,val}_inst/*.png`` (stuff pixels keep their label id, things get instance ids).
- ``celeba`` (CelebAMask-HQ): ``{train,test}/labels/*.png``, ``{train,test}/images/*.jpg``,
  ``{train,test}/instances/*.png`` (missing: derived), ``{train,test}/edgesD/*.png``.
- ``deepfashion``: ``<phase>_label``, ``<phase>_img``, ``<phase>_inst`` (missing: derived),
  ``<phase>_edgeD`` (make_instances writes label and inst from ``<phase>_mask``); or SMIS's tree
  ``cihp_{train,test}_mask/`` (labels) and ``{train,test}/`` (photos), instances derived.
- ``custom``: ``label_dir``, ``image_dir``, optional ``instance_dir`` (empty: derived),
  ``sketch_dir`` (with ``add_sketch``).
- ``toy``: the generated toy scenes (``toy_scenes.py``), ``{train,val}_{label,img,inst}``.
"""
from __future__ import annotations

import os

import numpy as np
import paddle

from .base import EVAL_PHASES, FileLists, PairedDataset
from .image_io import IMAGE_EXTS, list_images, read_image  # noqa: F401 (re-exported)
from .instances import collate_fn
from .options import DataConfig


def _split(cfg: DataConfig, train: str, test: str) -> str:
    return test if cfg.phase in EVAL_PHASES else train


class ADE20KDataset(PairedDataset):
    """ADEChallengeData2016; 150 classes, 0 ('unknown') becomes dontcare."""

    derives_instances = True
    label_note = " (ADE20K files hold 0 = unknown and classes 1..150)"

    def find_files(self, cfg: DataConfig) -> FileLists:
        split = _split(cfg, "training", "validation")
        return self.folder_lists(*(os.path.join(cfg.dataroot, kind, split)
                                   for kind in ("annotations", "images", "instances", "edgesD")))

    def postprocess_label(self, label: np.ndarray) -> np.ndarray:
        return np.where(label == 0, 255, label - 1)


class CityscapesDataset(PairedDataset):
    """Cityscapes gtFine; 35 label ids, instance ids such as 26001 (16-bit PNG)."""

    def find_files(self, cfg: DataConfig) -> FileLists:
        split = _split(cfg, "train", "val")
        gt = os.path.join(cfg.dataroot, "gtFine", split)
        left = os.path.join(cfg.dataroot, "leftImg8bit", split)
        labels = list_images(gt, "dataroot", recursive=True, suffix="_labelIds.png")
        instances = None
        if not cfg.no_instance:
            instances = (list_images(gt, "dataroot", recursive=True, suffix="_instanceIds.png")
                         or list_images(gt, "dataroot", recursive=True, suffix="_instanceReIds.png"))
            if labels and not instances:
                raise FileNotFoundError(f"{gt}: no *_instanceIds.png (from --dataroot); "
                                        "set no_instance to train without instance maps")
        sketches = list_images(gt, "dataroot", recursive=True, suffix="_edgeD.png") if cfg.add_sketch else None
        return FileLists(labels=labels, label_dir=gt, images=list_images(left, "dataroot", recursive=True),
                         image_dir=left, instances=instances, instance_dir=gt, sketches=sketches, sketch_dir=gt)

    @staticmethod
    def pair_key(path: str) -> str:
        return "_".join(os.path.basename(path).split("_")[:3])  # <city>_<seq>_<frame>


class _PhaseFolders(PairedDataset):
    """``<dataroot>/<phase>_{label,img,inst,edgeD}`` (COCO-Stuff, DeepFashion, toy scenes)."""

    def phase_name(self, cfg: DataConfig) -> str:
        return _split(cfg, "train", "val")

    def root(self, cfg: DataConfig) -> str:
        return cfg.dataroot

    def find_files(self, cfg: DataConfig) -> FileLists:
        root, phase = self.root(cfg), self.phase_name(cfg)
        return self.folder_lists(*(os.path.join(root, f"{phase}_{kind}")
                                   for kind in ("label", "img", "inst", "edgeD")))


class CocoDataset(_PhaseFolders):
    """COCO-Stuff (SPADE's layout); 182 classes + 255 unlabeled (dontcare)."""


class DeepFashionDataset(_PhaseFolders):
    """DeepFashion, 8 classes. Two trees: INADE's (``<phase>_label``, ``<phase>_img``, ``phase``
    names the folders as it is) and SMIS's (``cihp_{train,test}_mask/*.png`` with the photos in
    ``{train,test}/``, 'test' for an evaluation phase), taken when ``cihp_<split>_mask`` exists."""

    derives_instances = True

    def phase_name(self, cfg: DataConfig) -> str:
        return cfg.phase

    def find_files(self, cfg: DataConfig) -> FileLists:
        split = _split(cfg, "train", "test")
        smis_masks = os.path.join(cfg.dataroot, f"cihp_{split}_mask")
        if os.path.isdir(smis_masks):  # SMIS's tree; instances derived from the labels
            photos = os.path.join(cfg.dataroot, split)
            return FileLists(labels=list_images(smis_masks, "dataroot"), label_dir=smis_masks,
                             images=list_images(photos, "dataroot"), image_dir=photos,
                             instances=None)
        masks, labels = (os.path.join(cfg.dataroot, f"{cfg.phase}_{k}") for k in ("mask", "label"))
        if os.path.isdir(masks) and not os.path.isdir(labels):
            raise FileNotFoundError(f"{labels}: no such folder (from --dataroot); write it from {masks} with "
                                    f"tools/make_instances.py --path {cfg.dataroot} --dataset deepfashion")
        return super().find_files(cfg)


class ToyDataset(_PhaseFolders):
    """The procedural toy scenes; generated on first use when ``dataroot`` holds none."""

    def root(self, cfg: DataConfig) -> str:
        if cfg.dataroot and os.path.isfile(os.path.join(cfg.dataroot, "meta.json")):
            return cfg.dataroot
        from .toy_scenes import ensure_toy_dataset
        return ensure_toy_dataset(cfg.dataroot or None)


class CelebADataset(PairedDataset):
    """CelebAMask-HQ as the original reads it; 19 classes."""

    derives_instances = True

    def find_files(self, cfg: DataConfig) -> FileLists:
        root = os.path.join(cfg.dataroot, _split(cfg, "train", "test"))
        return self.folder_lists(*(os.path.join(root, kind) for kind in ("labels", "images", "instances", "edgesD")))


class CustomDataset(PairedDataset):
    """Any folders: ``label_dir``, ``image_dir``, optional ``instance_dir`` and ``sketch_dir``."""

    derives_instances = True

    def find_files(self, cfg: DataConfig) -> FileLists:
        if cfg.add_sketch and not cfg.sketch_dir:
            raise ValueError("add_sketch with dataset_mode custom needs --sketch_dir")
        instances = None
        if cfg.instance_dir and not cfg.no_instance:
            instances = list_images(cfg.instance_dir, "instance_dir")
        return FileLists(
            labels=list_images(cfg.label_dir, "label_dir"), label_dir=cfg.label_dir,
            images=list_images(cfg.image_dir, "image_dir"), image_dir=cfg.image_dir,
            instances=instances, instance_dir=cfg.instance_dir,
            sketches=list_images(cfg.sketch_dir, "sketch_dir") if cfg.add_sketch else None,
            sketch_dir=cfg.sketch_dir)


DATASET_CLASSES: dict[str, type[PairedDataset]] = {
    "ade20k": ADE20KDataset, "cityscapes": CityscapesDataset, "coco": CocoDataset,
    "celeba": CelebADataset, "deepfashion": DeepFashionDataset, "custom": CustomDataset,
    "toy": ToyDataset,
}


def create_dataset(cfg: DataConfig) -> PairedDataset:
    """The dataset of ``cfg.dataset_mode``."""
    return DATASET_CLASSES[cfg.dataset_mode](cfg)


def create_dataloader(cfg: DataConfig, batch_size: int = 1, **kwargs) -> paddle.io.DataLoader:
    """A DataLoader as the original's ``create_dataloader``: shuffled unless
    ``serial_batches``, ``nThreads`` workers, the last partial batch dropped when
    training, batches made by :func:`collate_fn`."""
    options = dict(batch_size=batch_size, shuffle=not cfg.serial_batches, num_workers=cfg.nThreads,
                   drop_last=cfg.is_train, collate_fn=collate_fn)
    return paddle.io.DataLoader(create_dataset(cfg), **{**options, **kwargs})
