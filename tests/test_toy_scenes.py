"""The built-in toy scenes and the visualisation helpers."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from paddle_inade.data import toy_scenes
from paddle_inade.data.toy_scenes import CLASSES, OBJECTS, render_scene, write_toy_dataset
from paddle_inade.data.visualize import (boundary_mask, colorize_label, instance_boundaries,
                                         make_grid, to_uint8_image)


def _scene(seed):
    return render_scene(np.random.default_rng(seed))


def test_deterministic_by_seed():
    a, b, c = _scene(3), _scene(3), _scene(4)
    for x, y in zip(a[:3], b[:3]):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[2], c[2])


def test_instances_are_contiguous_and_single_class():
    for seed in range(30):
        label, inst, image, styles = _scene(seed)
        assert label.shape == inst.shape == (64, 64) and image.shape == (64, 64, 3)
        assert image.dtype == np.uint8 and label.max() < len(CLASSES)
        np.testing.assert_array_equal(np.unique(inst), np.arange(len(styles)))
        for k, style in enumerate(styles):
            assert (label[inst == k] == style["class"]).all()


def test_same_class_instances_differ_in_style():
    same_class_pairs, colours = 0, {c: [] for c in OBJECTS}
    for seed in range(40):
        _, _, _, styles = _scene(seed)
        classes = [s["class"] for s in styles if s["class"] in OBJECTS]
        same_class_pairs += any(classes.count(c) > 1 for c in set(classes))
        for s in styles:
            if s["class"] in OBJECTS:
                colours[s["class"]].append(s["mean_rgb"])
    assert same_class_pairs >= 10
    for cls, values in colours.items():
        assert np.asarray(values).std(axis=0).mean() > 10, CLASSES[cls]


def test_dataset_is_cached_and_parameters_checked(tmp_path):
    root = str(tmp_path / "toy")
    write_toy_dataset(root, n_images=6, size=32, seed=1, n_val=2)
    meta = json.load(open(os.path.join(root, "meta.json")))
    assert meta["n_images"] == 6 and meta["label_nc"] == 6
    assert len(os.listdir(os.path.join(root, "train_img"))) == 6
    stamp = os.path.getmtime(os.path.join(root, "train_img", "00000.png"))
    write_toy_dataset(root, n_images=6, size=32, seed=1, n_val=2)
    assert os.path.getmtime(os.path.join(root, "train_img", "00000.png")) == stamp
    with pytest.raises(ValueError, match=r"toy exists with other toy-scene parameters.*seed"):
        write_toy_dataset(root, n_images=6, size=32, seed=2, n_val=2)


def test_interrupted_generation_leaves_nothing(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = toy_scenes.save_image

    def failing(path, array):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        real(path, array)

    monkeypatch.setattr(toy_scenes, "save_image", failing)
    with pytest.raises(KeyboardInterrupt):
        write_toy_dataset(str(tmp_path / "toy"), n_images=4, size=32, n_val=1)
    assert os.listdir(tmp_path) == []


def test_boundaries_on_a_two_instance_map():
    inst = np.zeros((4, 6), int)
    inst[:, 3:] = 1
    edge = boundary_mask(inst)
    assert edge[:, 2:4].all() and not edge[:, :2].any() and not edge[:, 4:].any()
    over = instance_boundaries(inst, np.zeros((4, 6, 3), np.uint8))
    assert (over[:, 2] == 255).all() and (over[:, 0] == 0).all()


def test_colours_grid_and_conversion():
    colours = colorize_label(np.arange(6).reshape(2, 3), 6).reshape(-1, 3)
    assert len({tuple(c) for c in colours}) == 6
    assert tuple(colorize_label(np.array([[255]]), 6)[0, 0]) == (128, 128, 128)
    tile = np.zeros((5, 7, 3), np.uint8)
    grid = make_grid([[tile, tile, tile], [tile]], pad=2)
    assert grid.shape == (2 * 7 + 2, 3 * 9 + 2, 3)
    img = to_uint8_image(np.stack([np.full((2, 2), -1.0), np.zeros((2, 2)), np.ones((2, 2))]))
    assert tuple(img[0, 0]) == (0, 128, 255)
