"""The training dataset of a run, checked against the model options before any work."""
from __future__ import annotations

import dataclasses

from ..config import INADEConfig
from .datasets import create_dataset
from .file_check import check_files
from .options import DataConfig

SHARED = ("label_nc", "contain_dontcare_label", "no_instance", "crop_size", "aspect_ratio", "add_sketch")


def check_family(dataset_mode: str, model_cfg) -> None:
    """GroupDNet builds its networks per dataset family (as SMIS does from --dataset_mode): a
    deepfashion/cityscapes/ade20k dataset needs the generator of the same family."""
    layout = getattr(model_cfg, "layout", None)
    if layout and dataset_mode in ("deepfashion", "cityscapes", "ade20k") and dataset_mode != layout:
        raise ValueError(f"--dataset_mode {dataset_mode} with --netG {layout}: SMIS builds the encoder "
                         f"and the group SPADEs of --netG {dataset_mode} for this dataset; pass --netG "
                         f"{dataset_mode} (or --preset {dataset_mode})")


def build_training_dataset(data_cfg: DataConfig, model_cfg: INADEConfig):
    """(dataset, data_cfg): the options shared with the model must agree, and the first
    sample must have the model's image size and classes (errors name what differs)."""
    diff = {k: (getattr(data_cfg, k), getattr(model_cfg, k)) for k in SHARED
            if hasattr(model_cfg, k) and getattr(data_cfg, k) != getattr(model_cfg, k)}
    check_family(data_cfg.dataset_mode, model_cfg)
    if diff:
        raise ValueError(f"data and model options disagree: {diff}")
    dataset = create_dataset(data_cfg)
    check_files(dataset.items)
    sample = dataset[0]
    expected = list(model_cfg.image_size)
    if list(sample["label"].shape[1:]) != expected:
        raise ValueError(f"{sample['path']}: samples come out {list(sample['label'].shape[1:])} "
                         f"(preprocess_mode {data_cfg.preprocess_mode}, load_size {data_cfg.load_size}) "
                         f"but the generator makes {expected} images (crop_size, aspect_ratio, "
                         "num_upsampling_layers)")
    if data_cfg.dataset_mode == "toy":
        from .toy_scenes import LABEL_NC
        if model_cfg.label_nc != LABEL_NC:
            raise ValueError(f"the toy scenes have {LABEL_NC} classes: --label_nc {model_cfg.label_nc} "
                             "does not match")
    return dataset, dataclasses.replace(data_cfg)


def evaluation_layouts(data_cfg: DataConfig, model_cfg: INADEConfig, count: int) -> list:
    """``count`` fixed layouts for measurements during training: (label [H, W], instance [H, W],
    image uint8 [H, W, 3]) from the validation split ('val', then 'test'), else the first
    training scenes, without random flips."""
    from .visualize import to_uint8_image
    dataset = None
    for phase in ("val", "test", data_cfg.phase):
        cfg = dataclasses.replace(data_cfg, phase=phase, is_train=False, no_flip=True)
        try:
            dataset = create_dataset(cfg)
        except (ValueError, FileNotFoundError):
            continue
        if len(dataset) >= 2:
            break
    if dataset is None or len(dataset) < 2:
        raise ValueError(f"no evaluation scenes for --quality_freq in {data_cfg.dataroot!r}")
    items = [dataset[i] for i in range(min(count, len(dataset)))]
    return [(s["label"][0], s["instance"][0], to_uint8_image(s["image"])) for s in items]
