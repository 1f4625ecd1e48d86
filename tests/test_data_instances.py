"""Instance encodings, re-indexing, batching without padding, and make_instances (atomic, CLI)."""
from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import paddle
import pytest

import paddle_inade.data.make_instances as mi
from paddle_inade.data import DataConfig, collate_fn, create_dataset
from paddle_inade.data.instances import decode_instance_ids, reindex
from paddle_inade.data.make_instances import make_instances, reindex_ids
from paddle_inade.models.preprocess import one_hot_map
from test_data_layouts import blocks, png, write_coco, write_custom

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_reindex_is_sorted_and_compact():
    ids = np.array([[26002, 7], [26001, 26002]])
    out, k = reindex(ids, 64, "x.png")
    assert k == 3 and out.dtype == np.int64
    np.testing.assert_array_equal(out, [[2, 0], [1, 2]])


@pytest.mark.parametrize("array,expected", [
    (np.array([[3, 200]], np.uint8), [[3, 200]]),
    (np.array([[7, 26001]], np.uint16), [[7, 26001]]),
    (np.array([[7, 2 ** 31 + 5]], np.uint32), [[7, 2 ** 31 + 5]]),  # e.g. a 32-bit TIFF
])
def test_single_channel_ids_are_kept(array, expected):
    np.testing.assert_array_equal(decode_instance_ids(array, "x"), expected)


def test_colour_instance_maps_one_id_per_colour():
    bgr = np.zeros((1, 3, 3), np.uint8)
    bgr[0, 0] = (1, 0, 0)  # blue 1
    bgr[0, 1] = (0, 0, 1)  # red 1
    bgr[0, 2] = (0, 1, 0)  # green 1
    np.testing.assert_array_equal(decode_instance_ids(bgr, "x"), [[1, 1 << 16, 1 << 8]])
    rgba = np.concatenate([bgr, np.full((1, 3, 1), 255, np.uint8)], axis=2)
    np.testing.assert_array_equal(decode_instance_ids(rgba, "x"), [[1, 1 << 16, 1 << 8]])  # alpha ignored


def test_colour_coded_instance_png_through_a_dataset(tmp_path):
    cfg = write_custom(tmp_path, n=1)
    colours = np.zeros((24, 32, 3), np.uint8)
    colours[:, 16:] = (10, 200, 30)
    colours[12:, :16] = (10, 200, 31)
    png(tmp_path / "inst" / "s0.png", colours)
    s = create_dataset(cfg)[0]
    assert s["num_instances"] == 3


def test_reindexing_after_the_crop_leaves_no_empty_ids(tmp_path):
    cfg = write_custom(tmp_path, n=1, preprocess_mode="crop", crop_size=8, no_flip=True)
    png(tmp_path / "inst" / "s0.png", blocks([[5, 9, 11, 13], [17, 19, 23, 29], [31, 37, 41, 43]]))
    s = create_dataset(cfg)[0]  # an 8x8 crop of 8x8 blocks sees 1 to 4 of the 12 instances
    assert 1 <= s["num_instances"] <= 4
    np.testing.assert_array_equal(np.unique(s["instance"]), np.arange(s["num_instances"]))


def test_too_many_instances_names_file_count_and_option(tmp_path):
    cfg = write_custom(tmp_path, n=1, max_instances=3)
    png(tmp_path / "inst" / "s0.png", blocks(np.arange(12).reshape(3, 4)))
    with pytest.raises(ValueError, match=r"inst/s0.png: 12 instances, more than --max_instances 3"):
        create_dataset(cfg)[0]


def test_batch_keeps_per_sample_ids_and_reports_num_instances(tmp_path):
    ds = create_dataset(DataConfig.for_dataset("coco", dataroot=str(write_coco(tmp_path / "coco", "train", (2, 5))),
                                               load_size=32, crop_size=32, no_flip=True))
    samples = [ds[0], ds[1]]
    batch = collate_fn(samples)
    assert batch["label"].shape == batch["instance"].shape == (2, 1, 32, 32)
    assert batch["image"].shape == (2, 3, 32, 32) and batch["path"] == [s["path"] for s in samples]
    np.testing.assert_array_equal(batch["num_instances"], [5, 8])
    for i, s in enumerate(samples):  # nothing re-numbered or padded
        np.testing.assert_array_equal(batch["instance"][i], s["instance"])
    loader = paddle.io.DataLoader(ds, batch_size=2, shuffle=False, collate_fn=collate_fn)
    got = next(iter(loader))
    assert got["instance"].dtype == paddle.int64 and got["num_instances"].tolist() == [5, 8]
    onehot = one_hot_map(got["instance"], int(got["instance"].max()) + 1, "instance").numpy()
    assert onehot.shape == (2, 8, 32, 32)  # K = the largest K of the batch
    present = onehot.sum(axis=(2, 3)) > 0
    assert present[0].tolist() == [True] * 5 + [False] * 3  # the smaller sample: empty channels
    assert present[1].all()


def test_collate_refuses_samples_of_different_sizes():
    a = {"label": np.zeros((1, 4, 4)), "path": "a.png"}
    b = {"label": np.zeros((1, 4, 8)), "path": "b.png"}
    with pytest.raises(ValueError, match=r"label of shapes .*a.png.*b.png"):
        collate_fn([a, b])


def test_make_instances_reindex_dtype():
    assert reindex_ids(np.arange(256).reshape(16, 16) * 3).dtype == np.uint8
    wide = reindex_ids(np.arange(300).reshape(15, 20))
    assert wide.dtype == np.uint16 and wide.max() == 299


def _celeba(root, n=3):
    for i in range(n):
        png(root / "train" / "labels" / f"{i}.png", blocks([[0, 5], [7, 5]], 8, 8))
    return root


def test_make_instances_never_leaves_a_partial_file(tmp_path, monkeypatch):
    root = _celeba(tmp_path / "celeba")
    real_replace, calls = os.replace, []

    def fail_on_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(mi.os, "replace", fail_on_second)
    with pytest.raises(OSError, match="disk full"):
        make_instances(str(root), "celeba")
    out = root / "train" / "instances"
    assert sorted(os.listdir(out)) == ["0.png"]  # the finished one; no temporary, no half file
    monkeypatch.setattr(mi.os, "replace", real_replace)
    assert make_instances(str(root), "celeba") == 3
    np.testing.assert_array_equal(cv2.imread(str(out / "1.png"), -1), blocks([[0, 1], [2, 1]], 8, 8))


def test_make_instances_names_a_bad_source_and_missing_root(tmp_path):
    root = _celeba(tmp_path / "celeba")
    (root / "train" / "labels" / "1.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(ValueError, match=r"labels/1.png: "):
        make_instances(str(root), "celeba")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        make_instances(str(tmp_path / "nowhere"), "ade20k")
    with pytest.raises(FileNotFoundError, match="no ade20k source maps"):
        make_instances(str(root), "ade20k")
    with pytest.raises(ValueError, match="coco"):
        make_instances(str(root), "coco")


def test_make_instances_cli(tmp_path):
    root = _celeba(tmp_path / "celeba", n=2)
    env = {**os.environ, "PYTHONPATH": ROOT}
    run = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_instances.py"), "--path", str(root),
                          "--dataset", "celeba"], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert sorted(os.listdir(root / "train" / "instances")) == ["0.png", "1.png"]
    bad = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_instances.py"), "--path",
                          str(tmp_path / "missing"), "--dataset", "celeba"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert bad.returncode == 2 and "missing: no such folder" in bad.stderr
