"""Data: the original's dataset layouts as ``paddle.io.Dataset``, transforms and instance maps.

- :class:`DataConfig` (``options.py``): the original's data options and per-dataset defaults
  (``DataConfig.for_dataset('ade20k')``).
- :func:`create_dataset` (``datasets.py``): the dataset of ``cfg.dataset_mode``, one of
  :class:`ADE20KDataset`, :class:`CityscapesDataset`, :class:`CocoDataset`,
  :class:`CelebADataset`, :class:`DeepFashionDataset`, :class:`CustomDataset`,
  :class:`ToyDataset` (all :class:`PairedDataset`). A sample is a dict: ``label`` int64
  [1, H, W], ``instance`` int64 [1, H, W] (ids 0..K-1), ``image`` float32 [3, H, W] in
  [-1, 1], ``sketch`` float32 [1, H, W], ``path`` and ``num_instances`` (K).
- :func:`collate_fn` (``instances.py``): batches of samples (no padding; see its doc) and
  :func:`create_dataloader`.
- ``transforms.py`` (shared resize/crop/flip), ``instances.py`` (instance encodings,
  re-indexing), ``image_io.py`` (OpenCV decoding), ``make_instances.py`` (the original's
  offline instance maps), ``toy_scenes.py`` and ``visualize.py``.
"""
from .base import PairedDataset
from .datasets import (DATASET_CLASSES, ADE20KDataset, CelebADataset, CityscapesDataset, CocoDataset,
                       CustomDataset, DeepFashionDataset, ToyDataset, create_dataloader, create_dataset)
from .instances import collate_fn
from .options import DATASET_MODES, PREPROCESS_MODES, DataConfig

__all__ = ["DataConfig", "DATASET_MODES", "PREPROCESS_MODES", "create_dataset", "create_dataloader",
           "collate_fn", "PairedDataset", "ADE20KDataset", "CityscapesDataset", "CocoDataset",
           "CelebADataset", "DeepFashionDataset", "CustomDataset", "ToyDataset", "DATASET_CLASSES"]
