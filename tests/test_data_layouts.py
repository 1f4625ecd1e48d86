"""Dataset layouts, transforms, instance maps and bad inputs, on tiny trees written here."""
from __future__ import annotations

import os

import cv2
import numpy as np
import paddle
import pytest

from paddle_inade.data import DataConfig, collate_fn, create_dataset
from paddle_inade.data.make_instances import make_instances

H, W = 24, 32


def _png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), array)


def _scene(seed, label_nc=4):
    """Label blocks, an image whose red channel encodes the label and green the instance."""
    rng = np.random.RandomState(seed)
    label = np.kron(rng.randint(0, label_nc, (3, 4)), np.ones((8, 8), int)).astype(np.uint8)
    inst = np.kron(rng.randint(0, 5, (3, 4)), np.ones((8, 8), int)).astype(np.uint16)
    image = np.zeros((H, W, 3), np.uint8)
    image[..., 2] = label * 40  # BGR on disk: red channel
    image[..., 1] = inst * 40
    return label, inst, image


def write_custom(root, n=3, **kw):
    for i in range(n):
        label, inst, image = _scene(i, **kw)
        _png(root / "sketch" / f"s{i}.png", (label * 60).astype(np.uint8))
        _png(root / "labels" / f"s{i}.png", label)
        _png(root / "inst" / f"s{i}.png", inst.astype(np.uint8))
        _png(root / "img" / f"s{i}.png", image)
    return DataConfig(dataset_mode="custom", label_dir=str(root / "labels"), image_dir=str(root / "img"),
                      instance_dir=str(root / "inst"), label_nc=4, preprocess_mode="none", crop_size=32,
                      no_flip=True)


def test_custom_layout_shapes_and_ranges(tmp_path):
    ds = create_dataset(write_custom(tmp_path))
    s = ds[0]
    assert s["label"].shape == (1, 32, 32) or s["label"].shape[1:] == (32, 32)
    assert s["image"].dtype == np.float32 and -1 <= s["image"].min() and s["image"].max() <= 1
    assert s["instance"].min() == 0 and s["instance"].max() == s["num_instances"] - 1
    assert s["label"].dtype == np.int64 and s["label"].max() < 4


def test_crop_and_flip_are_shared_by_all_maps(tmp_path):
    cfg = write_custom(tmp_path)
    cfg = DataConfig(**{**cfg.__dict__, "preprocess_mode": "crop", "crop_size": 16, "no_flip": False,
                        "add_sketch": True, "sketch_dir": str(tmp_path / "sketch")})
    ds = create_dataset(cfg)
    import random
    views = set()
    for seed in range(12):
        random.seed(seed)
        s = ds[0]
        red = np.round((s["image"][0] + 1) * 127.5 / 40).astype(int)
        np.testing.assert_array_equal(red, s["label"][0])
        np.testing.assert_array_equal(np.round(s["sketch"][0] * 255 / 60).astype(int), s["label"][0])
        green = np.round((s["image"][1] + 1) * 127.5 / 40).astype(int)
        # same instance id <=> same green value (ids are re-indexed, so compare partitions)
        assert len(np.unique(green * 100 + s["instance"][0])) == len(np.unique(s["instance"][0]))
        views.add(s["label"].tobytes())
    assert s["label"].shape == (1, 16, 16)
    assert len(views) > 3  # crops and flips really vary


def test_dontcare_255_becomes_label_nc(tmp_path):
    cfg = write_custom(tmp_path)
    label = cv2.imread(str(tmp_path / "labels" / "s0.png"), cv2.IMREAD_UNCHANGED)
    label[:8, :8] = 255
    _png(tmp_path / "labels" / "s0.png", label)
    with pytest.raises(ValueError, match=r"s0.png: label 255 \(dontcare\) found but --contain_dontcare_label"):
        create_dataset(cfg)[0]
    cfg.contain_dontcare_label = True
    s = create_dataset(cfg)[0]
    assert (s["label"][0, :10, :8] == 4).all()  # 24x32 -> 32x32 ('none': multiples of 32)


def test_label_value_too_large_names_the_file(tmp_path):
    cfg = write_custom(tmp_path)
    _png(tmp_path / "labels" / "s1.png", np.full((H, W), 9, np.uint8))
    with pytest.raises(ValueError, match=r"s1.png: label value 9 >= --label_nc 4"):
        create_dataset(cfg)[1]


def test_16_bit_cityscapes_instances_are_reindexed(tmp_path):
    root = tmp_path / "cityscapes"
    label = np.kron(np.array([[7, 26], [26, 24]]), np.ones((16, 32), int)).astype(np.uint8)
    inst = np.kron(np.array([[7, 26001], [26002, 24000]]), np.ones((16, 32), int)).astype(np.uint16)
    image = np.full((32, 64, 3), 100, np.uint8)
    gt, left = root / "gtFine" / "train" / "aachen", root / "leftImg8bit" / "train" / "aachen"
    _png(gt / "aachen_000000_000019_gtFine_labelIds.png", label)
    _png(gt / "aachen_000000_000019_gtFine_instanceIds.png", inst)
    _png(left / "aachen_000000_000019_leftImg8bit.png", image)
    cfg = DataConfig.for_dataset("cityscapes", dataroot=str(root), crop_size=64, no_flip=True)
    s = create_dataset(cfg)[0]
    assert s["label"].shape == (1, 32, 64)
    assert s["num_instances"] == 4
    np.testing.assert_array_equal(np.unique(s["instance"]), [0, 1, 2, 3])
    assert s["instance"][0, 0, 0] == 0 and s["instance"][0, 0, 40] == 2 and s["instance"][0, 20, 0] == 3


def test_coco_layout_and_batch_padding(tmp_path):
    root = tmp_path / "coco"
    for i, n_inst in enumerate([2, 5]):
        label = np.kron(np.arange(4).reshape(2, 2) * 50, np.ones((16, 16), int)).astype(np.uint8)
        inst = (np.arange(32 * 32).reshape(32, 32) * n_inst // (32 * 32)).astype(np.uint8) * 37
        _png(root / "train_label" / f"{i:012d}.png", label)
        _png(root / "train_inst" / f"{i:012d}.png", inst)
        _png(root / "train_img" / f"{i:012d}.jpg", np.full((32, 32, 3), 80, np.uint8))
    cfg = DataConfig.for_dataset("coco", dataroot=str(root), load_size=32, crop_size=32)
    ds = create_dataset(cfg)
    batch = collate_fn([ds[0], ds[1]])
    assert batch["label"].shape == (2, 1, 32, 32)
    assert list(batch["num_instances"]) == [2, 5]
    loader = paddle.io.DataLoader(ds, batch_size=2, collate_fn=collate_fn)
    assert next(iter(loader))["instance"].max() == 4


def test_ade20k_needs_make_instances_or_derives_them(tmp_path):
    root = tmp_path / "ADEChallengeData2016"
    for split in ("training", "validation"):
        label = np.kron(np.array([[0, 3], [150, 3]]), np.ones((16, 16), int)).astype(np.uint8)
        _png(root / "annotations" / split / f"ADE_{split[:5]}_00000001.png", label)
        _png(root / "images" / split / f"ADE_{split[:5]}_00000001.jpg", np.full((32, 32, 3), 90, np.uint8))
    written = make_instances(str(root), "ade20k")
    assert written == 2
    inst = cv2.imread(str(root / "instances" / "training" / "ADE_train_00000001.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(np.unique(inst), [0, 1, 2])
    cfg = DataConfig.for_dataset("ade20k", dataroot=str(root), load_size=32, crop_size=32, no_flip=True)
    s = create_dataset(cfg)[0]
    assert s["label"][0, 0, 0] == 150  # ADE20K 0 'unknown' -> dontcare index label_nc
    assert s["label"][0, 20, 0] == 149 and s["label"][0, 0, 20] == 2


def test_missing_folder_and_unpaired_label(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nolabels: no such folder \(from --label_dir\)"):
        create_dataset(DataConfig(label_dir=str(tmp_path / "nolabels"), image_dir=str(tmp_path)))
    cfg = write_custom(tmp_path)
    _png(tmp_path / "labels" / "lonely.png", np.zeros((H, W), np.uint8))
    with pytest.raises(ValueError, match=r"lonely.png: no image named like it \('lonely\.\*'\)"):
        create_dataset(cfg)


def test_truncated_image_and_size_mismatch(tmp_path):
    cfg = write_custom(tmp_path)
    path = tmp_path / "img" / "s0.png"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(ValueError, match=r"s0.png: not a readable image"):
        create_dataset(cfg)[0]
    _png(tmp_path / "img" / "s1.png", np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match=r"s1.png is 32x24 but .*s1.png is 10x10"):
        create_dataset(cfg)[1]


def test_too_many_instances_names_the_file(tmp_path):
    cfg = write_custom(tmp_path)
    cfg.max_instances = 2
    with pytest.raises(ValueError, match=r"inst/s0.png: \d+ instances, more than --max_instances 2"):
        create_dataset(cfg)[0]


def test_make_instances_is_atomic_and_vectorised(tmp_path, monkeypatch):
    root = tmp_path / "celeba"
    for i in range(3):
        _png(root / "train" / "labels" / f"{i}.png", np.kron(np.array([[0, 5], [7, 5]]), np.ones((4, 4), int)).astype(np.uint8))
    import paddle_inade.data.make_instances as mi
    calls = {"n": 0}
    real = mi._write_png

    def fail_second(path, array):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real(path, array)

    monkeypatch.setattr(mi, "_write_png", fail_second)
    with pytest.raises(OSError):
        make_instances(str(root), "celeba")
    leftovers = [f for f in os.listdir(root / "train" / "instances") if ".tmp" in f]
    assert not leftovers
    monkeypatch.setattr(mi, "_write_png", real)
    make_instances(str(root), "celeba")
    out = cv2.imread(str(root / "train" / "instances" / "0.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(out[0, :8], [0] * 4 + [1] * 4)
