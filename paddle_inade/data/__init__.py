"""Data: dataset layouts of the original, instance maps, toy scenes and visualisation."""
from .datasets import PairedDataset, collate_fn, create_dataset
from .options import DATASET_MODES, DataConfig

__all__ = ["DataConfig", "DATASET_MODES", "PairedDataset", "create_dataset", "collate_fn"]
