"""Resize/crop/flip: sizes of every preprocess_mode, parity with the original's PIL pipeline,
zero padding, and one crop+flip shared by label, instance, photo and sketch."""
from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from PIL import Image

from paddle_inade.data import DataConfig, create_dataset
from paddle_inade.data.transforms import TransformParams, apply_transform, get_params, resized_size
from test_data_layouts import png, write_custom


def cfg_for(mode, load=40, crop=32, **kw) -> DataConfig:
    return DataConfig(preprocess_mode=mode, load_size=load, crop_size=crop, **kw)


def pil_reference(array: np.ndarray, cfg: DataConfig, params: TransformParams, method) -> np.ndarray:
    """The original's get_transform (base_dataset.py) with PIL, written from its behaviour."""
    img, mode = Image.fromarray(array), cfg.preprocess_mode
    w, h = img.size
    if "resize" in mode:
        img = img.resize((cfg.load_size, cfg.load_size), method)
    elif "scale_width" in mode and w != cfg.load_size:
        img = img.resize((cfg.load_size, int(cfg.load_size * h / w)), method)
    if "crop" in mode:
        x, y = params.crop_pos
        img = img.crop((x, y, x + cfg.crop_size, y + cfg.crop_size))
    if mode == "none":
        w, h = img.size
        img = img.resize((int(round(w / 32) * 32), int(round(h / 32) * 32)), method)
    if mode == "fixed":
        img = img.resize((cfg.crop_size, round(cfg.crop_size / cfg.aspect_ratio)), method)
    if cfg.is_train and not cfg.no_flip and params.flip:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    return np.asarray(img)


PIL_MODES = ["resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "fixed", "none"]


@pytest.mark.parametrize("mode", PIL_MODES)
@pytest.mark.parametrize("size", [(37, 53), (70, 45)])
def test_maps_match_the_original_pipeline_exactly(mode, size):
    rng = np.random.default_rng(0)
    label = rng.integers(0, 200, size).astype(np.uint8)
    cfg = cfg_for(mode, load=48, crop=40, aspect_ratio=1.5)
    for seed in range(6):
        random.seed(seed)
        params = get_params(cfg, (size[1], size[0]))
        ours = apply_transform(label, cfg, params, nearest=True)
        np.testing.assert_array_equal(ours, pil_reference(label, cfg, params, Image.NEAREST))


@pytest.mark.parametrize("mode,load", [("resize_and_crop", 96), ("resize_and_crop", 24), ("scale_width", 30),
                                       ("fixed", 0)])
def test_photos_are_close_to_pil_bicubic(mode, load):
    rng = np.random.default_rng(1)
    photo = cv2.GaussianBlur(rng.integers(0, 256, (48, 64, 3)).astype(np.uint8), (0, 0), 2.0)
    cfg = cfg_for(mode, load=load or 32, crop=24)
    params = TransformParams((3, 2), False)
    ours = apply_transform(photo, cfg, params, nearest=False).astype(float)
    ref = pil_reference(photo, cfg, params, Image.BICUBIC).astype(float)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).mean() < 1.5


@pytest.mark.parametrize("mode,size,expected", [
    ("resize_and_crop", (50, 30), (32, 32)),
    ("crop", (50, 30), (32, 32)),             # 30 rows < crop: zero-padded to 32
    ("scale_width", (50, 30), (40, 24)),
    ("scale_width_and_crop", (50, 30), (32, 32)),
    ("scale_shortside", (50, 30), (66, 40)),  # short side 30 -> 40, aspect kept
    ("scale_shortside_and_crop", (30, 50), (32, 32)),
    ("fixed", (50, 30), (32, 16)),            # crop_size x round(crop_size / aspect_ratio)
    ("none", (50, 30), (64, 32)),             # multiples of 32
    ("none", (10, 10), (32, 32)),             # never 0
])
def test_output_size_of_every_mode(mode, size, expected):
    cfg = cfg_for(mode, aspect_ratio=2.0)
    array = np.zeros((size[1], size[0]), np.uint8)
    random.seed(0)
    out = apply_transform(array, cfg, get_params(cfg, size), nearest=True)
    assert (out.shape[1], out.shape[0]) == expected


def test_crop_positions_stay_inside_the_resized_image():
    cfg = cfg_for("scale_width_and_crop", load=64, crop=32)
    new_w, new_h = resized_size(cfg.preprocess_mode, 100, 75, cfg.load_size)
    assert (new_w, new_h) == (64, 48)
    random.seed(0)
    draws = [get_params(cfg, (100, 75)) for _ in range(200)]
    xs, ys = zip(*(p.crop_pos for p in draws))
    assert min(xs) == 0 and max(xs) == 32 and min(ys) == 0 and max(ys) == 16
    assert 50 < sum(p.flip for p in draws) < 150


def test_crop_past_the_image_pads_zeros_like_pil():
    cfg = cfg_for("crop", crop=32)
    label = np.full((20, 40), 7, np.uint8)
    out = apply_transform(label, cfg, TransformParams((4, 0), False), nearest=True)
    assert out.shape == (32, 32) and (out[:20] == 7).all() and (out[20:] == 0).all()
    photo = np.full((20, 40, 3), 200, np.uint8)
    assert (apply_transform(photo, cfg, TransformParams((4, 0), False), nearest=False)[20:] == 0).all()


def test_flip_only_when_training_and_allowed():
    label = np.arange(12, dtype=np.uint8).reshape(3, 4)
    flip = TransformParams((0, 0), True)
    flipped = apply_transform(label, cfg_for("none", is_train=True), flip, nearest=True)
    assert flipped[0, 0] > flipped[0, -1]
    for cfg in (cfg_for("none", is_train=False), cfg_for("none", no_flip=True)):
        out = apply_transform(label, cfg, flip, nearest=True)
        assert out[0, 0] < out[0, -1]


def test_16bit_and_wide_ids_survive_nearest_resizing():
    ids = np.array([[7, 26001], [26002, 2 ** 40]], np.float64)
    out = apply_transform(ids, cfg_for("fixed", crop=8), TransformParams((0, 0), False), nearest=True)
    assert set(np.unique(out)) == {7, 26001, 26002, 2 ** 40}
    ids16 = np.array([[7, 26001], [26002, 65535]], np.uint16)
    out = apply_transform(ids16, cfg_for("fixed", crop=8), TransformParams((0, 0), False), nearest=True)
    assert out.dtype == np.uint16 and set(np.unique(out)) == {7, 26001, 26002, 65535}


def _decode(sample):
    """(label, instance code, sketch label) that the photo and the sketch encode (see ``scene``)."""
    photo = np.round((sample["image"] + 1) * 127.5).astype(int)
    return np.round(photo[0] / 40).astype(int), np.round(photo[1] / 20).astype(int), \
        np.round(sample["sketch"][0] * 255 / 60).astype(int)


@pytest.mark.parametrize("mode", ["crop", "scale_width_and_crop"])
def test_one_crop_and_flip_for_label_instance_photo_and_sketch(tmp_path, mode):
    """The photo's red channel encodes the label, green the instance, the sketch the label:
    after a random crop + flip they must still agree pixel for pixel."""
    cfg = write_custom(tmp_path, preprocess_mode=mode, load_size=64, crop_size=16, no_flip=False,
                       add_sketch=True)
    ds = create_dataset(cfg)
    views = set()
    for seed in range(16):
        random.seed(seed)
        s = ds[seed % len(ds)]
        label, inst = s["label"][0], s["instance"][0]
        red, green, sketch = _decode(s)
        np.testing.assert_array_equal(sketch, label)
        if mode == "crop":  # no resampling: the photo is exact too
            np.testing.assert_array_equal(red, label)
            pairs = {(int(g), int(i)) for g, i in zip(green.ravel(), inst.ravel())}
            assert len(pairs) == len({i for _, i in pairs}) == len({g for g, _ in pairs})  # one partition
        else:  # bicubic photo: it is the photo transformed with the very crop and flip drawn for the label
            random.seed(seed)
            params = get_params(cfg, (32, 24))
            photo = cv2.imread(str(tmp_path / "img" / f"s{seed % len(ds)}.png"))[..., ::-1]
            expected = apply_transform(np.ascontiguousarray(photo), cfg, params, nearest=False)
            np.testing.assert_allclose(s["image"], expected.transpose(2, 0, 1) / 127.5 - 1, atol=1e-6)
            label_file = cv2.imread(str(tmp_path / "labels" / f"s{seed % len(ds)}.png"), -1)
            np.testing.assert_array_equal(label, apply_transform(label_file, cfg, params, nearest=True))
            # and it is near the label where the label is flat (bicubic blurs only the edges)
            assert (red == label).mean() > 0.6
        views.add((seed % len(ds), s["label"].tobytes()))
    assert s["label"].shape == (1, 16, 16)
    assert len(views) > 10  # crops and flips really vary


def test_flip_moves_photo_with_label(tmp_path):
    cfg = write_custom(tmp_path, preprocess_mode="crop", crop_size=32, no_flip=False)
    png(tmp_path / "labels" / "s0.png", np.tile(np.arange(4, dtype=np.uint8).repeat(8), (24, 1)))
    photo = np.zeros((24, 32, 3), np.uint8)
    photo[..., 2] = np.tile(np.arange(4, dtype=np.uint8).repeat(8), (24, 1)) * 40
    png(tmp_path / "img" / "s0.png", photo)
    ds = create_dataset(cfg)
    flips = set()
    for seed in range(8):
        random.seed(seed)
        s = ds[0]
        red = _decode(s)[0]
        np.testing.assert_array_equal(red[:24], s["label"][0, :24])
        flips.add(int(s["label"][0, 0, 0]))
    assert flips == {0, 3}


def test_seeded_samples_leave_the_global_generators_alone(tmp_path):
    """The trainer's per-sample augmentation comes from its own random.Random: the same draws as
    the original's seeded global generator, and Python's and NumPy's global state untouched."""
    import random

    from paddle_inade.data import DataConfig, create_dataset
    from paddle_inade.data.toy_scenes import write_toy_dataset
    from paddle_inade.engine.sampling import SeededDataset
    root = write_toy_dataset(str(tmp_path / "toy"), n_images=4, size=64, n_val=0)
    cfg = DataConfig.for_dataset("toy", dataroot=root, preprocess_mode="resize_and_crop", load_size=80,
                                 crop_size=64)
    dataset = create_dataset(cfg)
    seeded = SeededDataset(dataset, seed=3)
    random.seed(123)
    np.random.seed(456)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    ours = [seeded[i] for i in range(len(dataset))]
    assert random.getstate() == python_state
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), numpy_state))
    for i, sample in enumerate(ours):  # the original's way: seed the global generator, then load
        random.seed((3 * 1_000_003 + 1 * 10_007 + i) % (2 ** 32))
        expected = dataset[i]
        assert np.array_equal(sample["image"], expected["image"]) and np.array_equal(sample["label"], expected["label"])
    assert len({s["image"].tobytes() for s in ours}) == len(ours)
