"""Every dataset layout on a tiny tree written here: shapes, ranges, splits, pairing, dontcare.

The tree builders here are shared by the other ``test_data_*`` files.
"""
from __future__ import annotations

import os
import random
import shutil

import cv2
import numpy as np
import pytest

from paddle_inade.data import (ADE20KDataset, CelebADataset, CityscapesDataset, CocoDataset, CustomDataset,
                               DataConfig, DeepFashionDataset, ToyDataset, create_dataset)
from paddle_inade.data.make_instances import make_instances

H, W = 24, 32


def png(path, array) -> str:
    """Write ``array`` (BGR when colour) as a lossless image, creating folders."""
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    assert cv2.imwrite(str(path), np.ascontiguousarray(array))
    return str(path)


def blocks(values, h=H, w=W, dtype=np.uint8) -> np.ndarray:
    """A map of equal rectangular blocks from a small 2-D table of values."""
    values = np.asarray(values)
    return np.kron(values, np.ones((h // values.shape[0], w // values.shape[1]), np.int64)).astype(dtype)


def scene(seed: int, label_nc: int = 4):
    """(label, instance ids, BGR photo, sketch) whose photo encodes label (red) and instance (green)."""
    rng = np.random.RandomState(seed)
    label = blocks(rng.randint(0, label_nc, (3, 4)))
    inst = blocks(rng.randint(0, 5, (3, 4)) + 10 * np.arange(12).reshape(3, 4) % 7)
    photo = np.zeros((H, W, 3), np.uint8)
    photo[..., 2] = label * 40
    photo[..., 1] = inst * 20
    return label, inst, photo, (label * 60).astype(np.uint8)


def write_custom(root, n=3, label_nc=4, **cfg) -> DataConfig:
    for i in range(n):
        label, inst, photo, sketch = scene(i, label_nc)
        png(root / "labels" / f"s{i}.png", label)
        png(root / "inst" / f"s{i}.png", inst)
        png(root / "img" / f"s{i}.png", photo)
        png(root / "sketch" / f"s{i}.png", sketch)
    options = dict(label_dir=str(root / "labels"), image_dir=str(root / "img"), instance_dir=str(root / "inst"),
                   sketch_dir=str(root / "sketch"), label_nc=label_nc, preprocess_mode="none", no_flip=True)
    return DataConfig.for_dataset("custom", **{**options, **cfg})


def write_ade20k(root, n=2):
    """ADEChallengeData2016 with label 0 (unknown), 3 and 150 in both splits."""
    for split, tag in (("training", "train"), ("validation", "val")):
        for i in range(n):
            png(root / "annotations" / split / f"ADE_{tag}_{i:08d}.png", blocks([[0, 3], [150, 3 + i]]))
            png(root / "images" / split / f"ADE_{tag}_{i:08d}.jpg", np.full((H, W, 3), 90, np.uint8))
    return root


def write_cityscapes(root, split="train"):
    gt, left = root / "gtFine" / split / "aachen", root / "leftImg8bit" / split / "aachen"
    label = blocks([[7, 26], [26, 24]])
    inst = blocks([[7, 26001], [26002, 24000]], dtype=np.uint16)
    png(gt / "aachen_000000_000019_gtFine_labelIds.png", label)
    png(gt / "aachen_000000_000019_gtFine_instanceIds.png", inst)
    png(gt / "aachen_000000_000019_gtFine_color.png", np.zeros((H, W, 3), np.uint8))
    png(left / "aachen_000000_000019_leftImg8bit.png", np.full((H, W, 3), 100, np.uint8))
    return root


def write_coco(root, phase="train", n_instances=(2, 5)):
    """COCO-Stuff: labels with 255 (unlabeled); instance maps mixing stuff ids and thing ids."""
    for i, k in enumerate(n_instances):
        name = f"{i:012d}"
        label = blocks([[0, 120], [181, 255]])
        inst = label.copy()
        inst[:H // 2, :W // 2] = (np.arange(W // 2) * k // (W // 2))[None]  # k things in one quarter
        png(root / f"{phase}_label" / f"{name}.png", label)
        png(root / f"{phase}_inst" / f"{name}.png", inst)
        png(root / f"{phase}_img" / f"{name}.jpg", np.full((H, W, 3), 80, np.uint8))
    return root


def test_custom_shapes_dtypes_and_ranges(tmp_path):
    ds = create_dataset(write_custom(tmp_path, add_sketch=True))
    assert isinstance(ds, CustomDataset) and len(ds) == 3
    s = ds[0]
    assert set(s) == {"label", "instance", "image", "sketch", "path", "num_instances"}
    assert s["label"].shape == s["instance"].shape == s["sketch"].shape == (1, 32, 32)  # 'none': multiples of 32
    assert s["image"].shape == (3, 32, 32)
    assert s["label"].dtype == s["instance"].dtype == np.int64
    assert s["image"].dtype == s["sketch"].dtype == np.float32
    assert -1 <= s["image"].min() and s["image"].max() <= 1 and 0 <= s["sketch"].min() and s["sketch"].max() <= 1
    assert s["label"].min() >= 0 and s["label"].max() < 4
    assert s["instance"].min() == 0 and s["instance"].max() == s["num_instances"] - 1
    assert isinstance(s["num_instances"], int) and s["path"].endswith("img/s0.png")
    np.testing.assert_allclose(s["sketch"][0] * 255, s["label"][0] * 60, atol=1e-4)  # the real sketch


def test_without_sketch_the_sketch_is_zeros(tmp_path):
    s = create_dataset(write_custom(tmp_path))[1]
    assert s["sketch"].shape == (1, 32, 32) and not s["sketch"].any()


def test_custom_without_instance_dir_one_instance_per_class(tmp_path):
    cfg = write_custom(tmp_path, instance_dir="")
    s = create_dataset(cfg)[0]
    label = s["label"][0]
    assert s["num_instances"] == len(np.unique(label))
    np.testing.assert_array_equal(np.unique(label, return_inverse=True)[1].reshape(label.shape), s["instance"][0])


def test_ade20k_make_instances_then_load(tmp_path):
    root = write_ade20k(tmp_path / "ADEChallengeData2016")
    assert make_instances(str(root), "ade20k") == 4
    inst = cv2.imread(str(root / "instances" / "training" / "ADE_train_00000000.png"), cv2.IMREAD_UNCHANGED)
    assert inst.dtype == np.uint8
    np.testing.assert_array_equal(inst, blocks([[0, 1], [2, 1]]))  # 0, 3, 150 in sorted order
    cfg = DataConfig.for_dataset("ade20k", dataroot=str(root), load_size=32, crop_size=32, no_flip=True)
    assert (cfg.label_nc, cfg.contain_dontcare_label, cfg.preprocess_mode) == (150, True, "resize_and_crop")
    ds = create_dataset(cfg)
    assert isinstance(ds, ADE20KDataset) and len(ds) == 2
    s = ds[0]
    assert s["label"].shape == (1, 32, 32)
    assert s["label"][0, 0, 0] == 150  # 0 'unknown' -> dontcare index label_nc
    assert s["label"][0, 31, 0] == 149 and s["label"][0, 0, 31] == 2  # 150 -> 149, 3 -> 2
    with_files = s["instance"]
    shutil.rmtree(root / "instances")  # without make_instances: the same maps, derived on the fly
    np.testing.assert_array_equal(create_dataset(cfg)[0]["instance"], with_files)


def test_ade20k_test_phase_reads_validation(tmp_path):
    root = write_ade20k(tmp_path / "ade")
    cfg = DataConfig.for_dataset("ade20k", "test", dataroot=str(root))
    assert (cfg.load_size, cfg.crop_size, cfg.is_train) == (256, 256, False)
    ds = create_dataset(cfg)
    assert all("ADE_val_" in label for label, *_ in ds.items)


def test_cityscapes_16bit_instance_ids(tmp_path):
    root = write_cityscapes(tmp_path / "cityscapes")
    cfg = DataConfig.for_dataset("cityscapes", dataroot=str(root), crop_size=64, no_flip=True)
    assert (cfg.preprocess_mode, cfg.aspect_ratio, cfg.label_nc) == ("fixed", 2.0, 35)
    ds = create_dataset(cfg)
    assert isinstance(ds, CityscapesDataset) and len(ds) == 1
    s = ds[0]
    assert s["label"].shape == (1, 32, 64) and s["image"].shape == (3, 32, 64)  # fixed: crop x crop/aspect
    assert s["num_instances"] == 4
    # sorted order of the ids: 7 -> 0, 24000 -> 1, 26001 -> 2, 26002 -> 3
    np.testing.assert_array_equal(s["instance"][0], blocks([[0, 2], [3, 1]], 32, 64, np.int64))
    np.testing.assert_array_equal(s["label"][0], blocks([[7, 26], [26, 24]], 32, 64, np.int64))


def test_cityscapes_make_instances_writes_reids(tmp_path):
    root = write_cityscapes(tmp_path / "cityscapes")
    assert make_instances(str(root), "cityscapes") == 1
    out = root / "gtFine" / "train" / "aachen" / "aachen_000000_000019_gtFine_instanceReIds.png"
    np.testing.assert_array_equal(cv2.imread(str(out), cv2.IMREAD_UNCHANGED), blocks([[0, 2], [3, 1]]))
    os.remove(root / "gtFine" / "train" / "aachen" / "aachen_000000_000019_gtFine_instanceIds.png")
    cfg = DataConfig.for_dataset("cityscapes", dataroot=str(root), crop_size=64)
    assert create_dataset(cfg)[0]["num_instances"] == 4  # falls back to the ReIds maps


def test_coco_stuff_dontcare_and_mixed_instance_ids(tmp_path):
    root = write_coco(tmp_path / "coco_stuff")
    cfg = DataConfig.for_dataset("coco", dataroot=str(root), load_size=32, crop_size=32, no_flip=True)
    assert (cfg.label_nc, cfg.contain_dontcare_label) == (182, True)
    ds = create_dataset(cfg)
    assert isinstance(ds, CocoDataset)
    s = ds[1]
    assert set(np.unique(s["label"])) == {0, 120, 181, 182}  # 255 unlabeled -> 182
    assert s["num_instances"] == 5 + 3  # things 0..4 (over the stuff-0 block) + stuff 120, 181, 255
    val = create_dataset(DataConfig.for_dataset("coco", "test", dataroot=str(write_coco(root, "val", (3,)))))
    assert len(val) == 1 and val[0]["label"].shape == (1, 256, 256)


def test_celeba_splits_and_derived_instances(tmp_path):
    root = tmp_path / "CelebA-HQ"
    for split, value in (("train", 5), ("test", 7)):
        png(root / split / "labels" / "0.png", blocks([[0, value], [18, value]]))
        png(root / split / "images" / "0.jpg", np.full((H, W, 3), 50, np.uint8))
    cfg = DataConfig.for_dataset("celeba", dataroot=str(root), load_size=32, crop_size=32, no_flip=True)
    assert (cfg.label_nc, cfg.contain_dontcare_label) == (19, False)
    derived = create_dataset(cfg)[0]
    assert isinstance(create_dataset(cfg), CelebADataset) and derived["num_instances"] == 3
    assert make_instances(str(root), "celeba") == 2
    np.testing.assert_array_equal(create_dataset(cfg)[0]["instance"], derived["instance"])
    test = create_dataset(DataConfig.for_dataset("celeba", "test", dataroot=str(root)))[0]
    assert 7 in test["label"] and 5 not in test["label"]


def test_deepfashion_masks_make_instances_and_sketches(tmp_path):
    root = tmp_path / "DeepFashion"
    for phase in ("train", "test"):
        mask = np.zeros((H, W, 3), np.uint8)
        mask[..., 2] = blocks([[0, 3], [7, 3]])  # the class is in the red channel (BGR on disk)
        mask[..., 0] = 99
        png(root / f"{phase}_mask" / "p1.png", mask)
        png(root / f"{phase}_img" / "p1.jpg", np.full((H, W, 3), 70, np.uint8))
        png(root / f"{phase}_edgeD" / "p1.png", blocks([[0, 255], [255, 0]]))
    assert make_instances(str(root), "deepfashion") == 4
    np.testing.assert_array_equal(cv2.imread(str(root / "test_label" / "p1.png"), -1), blocks([[0, 3], [7, 3]]))
    cfg = DataConfig.for_dataset("deepfashion", "test", dataroot=str(root), add_sketch=True)
    assert (cfg.label_nc, cfg.load_size, cfg.crop_size) == (8, 256, 256)
    ds = create_dataset(cfg)
    assert isinstance(ds, DeepFashionDataset)
    s = ds[0]
    assert s["num_instances"] == 3 and set(np.unique(s["label"])) == {0, 3, 7}
    assert set(np.unique(s["sketch"])) == {0.0, 1.0}


def test_toy_layout(tmp_path):
    from paddle_inade.data.toy_scenes import write_toy_dataset
    root = write_toy_dataset(str(tmp_path / "toy"), n_images=2, size=32, n_val=1)
    ds = create_dataset(DataConfig.for_dataset("toy", dataroot=root, load_size=32, crop_size=32))
    assert isinstance(ds, ToyDataset) and len(ds) == 2 and ds[0]["label"].shape == (1, 32, 32)


def test_max_dataset_size_and_natural_order(tmp_path):
    cfg = write_custom(tmp_path, n=3)
    for i in (3, 10):  # s10 sorts after s3 (natural order), as in the original
        for kind, array in zip(("labels", "inst", "img"), scene(i)[:3]):
            png(tmp_path / kind / f"s{i}.png", array)
    names = [os.path.basename(item[0]) for item in create_dataset(cfg).items]
    assert names == ["s0.png", "s1.png", "s2.png", "s3.png", "s10.png"]
    cfg.max_dataset_size = 2
    assert len(create_dataset(cfg)) == 2


def test_pairing_by_name_and_no_pairing_check(tmp_path):
    cfg = write_custom(tmp_path, n=2)
    for i in range(2):  # photos renamed: names no longer pair
        os.rename(tmp_path / "img" / f"s{i}.png", tmp_path / "img" / f"photo{i}.png")
    with pytest.raises(ValueError, match=r"s0.png: no image named like it \('s0'\) in .*img"):
        create_dataset(cfg)
    cfg.no_pairing_check = True
    ds = create_dataset(cfg)
    assert [os.path.basename(p) for _, p, _, _ in ds.items] == ["photo0.png", "photo1.png"]


def test_same_draw_gives_same_sample(tmp_path):
    cfg = write_custom(tmp_path, preprocess_mode="crop", crop_size=16, no_flip=False)
    ds = create_dataset(cfg)
    random.seed(3)
    a = ds[0]
    random.seed(3)
    b = ds[0]
    for key in ("label", "instance", "image"):
        np.testing.assert_array_equal(a[key], b[key])
