"""DataConfig: the original's names and defaults, per-dataset defaults, unknown and bad options."""
from __future__ import annotations

import dataclasses

import pytest

from paddle_inade.data import DATASET_MODES, PREPROCESS_MODES, DataConfig, create_dataloader
from test_data_layouts import write_custom


def test_base_defaults_are_the_originals():
    cfg = DataConfig()
    assert (cfg.dataset_mode, cfg.phase, cfg.is_train) == ("custom", "train", True)
    assert (cfg.preprocess_mode, cfg.load_size, cfg.crop_size) == ("scale_width_and_crop", 1024, 512)
    assert cfg.aspect_ratio == 1.0
    assert (cfg.label_nc, cfg.contain_dontcare_label, cfg.no_instance, cfg.add_sketch) == (182, False, False, False)
    assert (cfg.no_flip, cfg.serial_batches, cfg.nThreads, cfg.no_pairing_check) == (False, False, 0, False)
    assert cfg.max_dataset_size is None and cfg.max_instances == 256
    assert PREPROCESS_MODES == ("resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "scale_shortside",
                                "scale_shortside_and_crop", "fixed", "none")


@pytest.mark.parametrize("mode,phase,expected", [
    ("ade20k", "train", dict(preprocess_mode="resize_and_crop", load_size=286, crop_size=256, label_nc=150,
                             contain_dontcare_label=True)),
    ("ade20k", "test", dict(load_size=256, crop_size=256, is_train=False)),
    ("coco", "train", dict(preprocess_mode="resize_and_crop", load_size=286, crop_size=256, label_nc=182,
                           contain_dontcare_label=True)),
    ("cityscapes", "train", dict(preprocess_mode="fixed", load_size=512, crop_size=512, aspect_ratio=2.0,
                                 label_nc=35, contain_dontcare_label=False)),
    ("celeba", "train", dict(preprocess_mode="resize_and_crop", load_size=286, crop_size=256, label_nc=19)),
    ("celeba", "test", dict(load_size=256)),
    ("deepfashion", "test", dict(preprocess_mode="resize_and_crop", load_size=256, crop_size=256, label_nc=8)),
    ("custom", "train", dict(preprocess_mode="resize_and_crop", load_size=286, crop_size=256, label_nc=13)),
])
def test_per_dataset_defaults(mode, phase, expected):
    cfg = DataConfig.for_dataset(mode, phase)
    assert (cfg.dataset_mode, cfg.phase) == (mode, phase)
    assert {k: getattr(cfg, k) for k in expected} == expected


def test_overrides_win_and_is_train_chooses_the_defaults():
    cfg = DataConfig.for_dataset("ade20k", load_size=300, no_flip=True)
    assert (cfg.load_size, cfg.no_flip, cfg.label_nc) == (300, True, 150)
    assert DataConfig.for_dataset("ade20k", "train", is_train=False).load_size == 256
    assert set(DATASET_MODES) >= {"ade20k", "cityscapes", "coco", "celeba", "deepfashion", "custom"}


def test_unknown_options_are_named():
    with pytest.raises(ValueError, match=r"unknown data option\(s\) \['cropsize', 'label_n'\]"):
        DataConfig.from_dict({"cropsize": 3, "label_n": 1, "load_size": 3})
    with pytest.raises(ValueError, match=r"unknown data option\(s\) \['load'\]"):
        DataConfig.for_dataset("coco", load=3)
    with pytest.raises(TypeError):
        DataConfig(cropsize=3)
    values = dataclasses.asdict(DataConfig.for_dataset("cityscapes"))
    assert DataConfig.from_dict(values) == DataConfig.for_dataset("cityscapes")  # round trip (opt.yaml)


@pytest.mark.parametrize("bad,match", [
    (dict(preprocess_mode="zoom"), "preprocess_mode 'zoom' is not one of"),
    (dict(dataset_mode="kitti"), "dataset_mode 'kitti' is not one of"),
    (dict(crop_size=0), "crop_size must be >= 1"),
    (dict(aspect_ratio=0.0), "aspect_ratio must be > 0"),
    (dict(max_dataset_size=0), "max_dataset_size must be >= 1"),
    (dict(max_instances=0), "max_instances must be >= 1"),
])
def test_bad_values(bad, match):
    with pytest.raises(ValueError, match=match):
        DataConfig(**bad)


def test_create_dataloader_follows_the_options(tmp_path):
    cfg = write_custom(tmp_path, n=3, serial_batches=True)
    loader = create_dataloader(cfg, batch_size=2)
    batches = list(loader)
    assert len(batches) == 1 and batches[0]["label"].shape == [2, 1, 32, 32]  # training drops the last one
    cfg.is_train = False
    assert [b["label"].shape[0] for b in create_dataloader(cfg, batch_size=2)] == [2, 1]
