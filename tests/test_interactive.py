"""paddle_inade.interactive (the web demo's logic) and INADEPipeline.synthesize."""
from __future__ import annotations

import os

import cv2
import numpy as np
import paddle
import pytest

from paddle_inade import INADEConfig, build_encoder, build_generator
from paddle_inade.data.toy_scenes import render_scene
from paddle_inade.interactive import (InstanceSession, ReferenceStyles, export_pngs, fit_layout, fit_reference,
                                      locate, measure_leak, read_layout_files, read_reference_files, tile_strip)
from paddle_inade.pipeline import INADEPipeline, Layout
from paddle_inade.nn.modes import eval_mode

CFG = INADEConfig(norm_mode="inade", use_vae=True, label_nc=6, crop_size=32, ngf=2, z_dim=8,
                  noise_nc=4, norm_G="spectralspadebatch3x3", init_variance=1.0)


@pytest.fixture(scope="module")
def pipe():
    paddle.seed(0)
    return INADEPipeline(CFG, build_generator(CFG), build_encoder(CFG))


@pytest.fixture(scope="module")
def scene():
    """(label, instance, photo) of a 32x32 toy scene with two instances of one class."""
    for seed in range(100):
        label, inst, photo, _ = render_scene(np.random.default_rng(seed), 32)
        classes = [np.bincount(label[inst == i]).argmax() for i in np.unique(inst)]
        if max(np.bincount(classes)) >= 2 and len(classes) >= 4:
            return label, inst, photo
    raise AssertionError("no toy scene with two instances of one class")


def direct(pipe, label, inst, noise, noise_ins, z=None):
    """The generator called by hand on one layout, float [N, 3, H, W]."""
    n = noise.shape[0]
    semantics, _, instances, _ = Layout(np.broadcast_to(label, (n, *label.shape)),
                                        np.broadcast_to(inst, (n, *inst.shape)), CFG).inputs()
    with paddle.no_grad(), eval_mode(pipe.netG):  # as the pipeline runs it
        return pipe.netG(semantics, z=z, input_instances=instances, noise=paddle.to_tensor(noise),
                         noise_ins=paddle.to_tensor(noise_ins)).numpy()


# --------------------------------------------------------------------------- synthesize
def test_synthesize_is_the_generator_on_the_given_noises(pipe, scene):
    label, inst, photo = scene
    k = len(np.unique(inst))
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((3, k, 2, 4)).astype(np.float32)
    noise_ins = rng.standard_normal((3, 8)).astype(np.float32)
    tile = lambda a: np.broadcast_to(a, (3, *a.shape))  # noqa: E731
    out = pipe.synthesize(tile(label), tile(inst), noise, noise_ins, output="float")
    np.testing.assert_allclose(out, direct(pipe, label, inst, noise, noise_ins), atol=1e-5)
    # each sample alone gives what the batch gives
    single = pipe.synthesize(label, inst, noise[1:2], noise_ins[1:2], output="float")
    np.testing.assert_allclose(single[0], out[1], atol=1e-5)
    # the prior as explicit styles (mu 0, logvar 0) changes nothing
    prior = {key: np.zeros((3, k, 4), np.float32) for key in ("s_mu", "s_logvar", "b_mu", "b_logvar")}
    np.testing.assert_array_equal(pipe.synthesize(tile(label), tile(inst), noise, noise_ins, styles=prior),
                                  pipe.synthesize(tile(label), tile(inst), noise, noise_ins))
    # encoded styles remap the noise as the generator's z does
    styles = pipe.encode(photo, inst)
    z = [paddle.to_tensor(v) for v in (styles["s_mu"], np.exp(0.5 * styles["s_logvar"]),
                                       styles["b_mu"], np.exp(0.5 * styles["b_logvar"]))]
    np.testing.assert_allclose(pipe.synthesize(label, inst, noise[:1], noise_ins[:1], styles=styles, output="float"),
                               direct(pipe, label, inst, noise[:1], noise_ins[:1], z), atol=1e-5)


def test_synthesize_bad_inputs(pipe, scene):
    label, inst, _ = scene
    k = len(np.unique(inst))
    with pytest.raises(ValueError, match=r"noise must have shape \[1, %d, 2, 4\]" % k):
        pipe.synthesize(label, inst, np.zeros((1, k + 1, 2, 4)), np.zeros((1, 8)))
    with pytest.raises(ValueError, match=r"noise_ins must have shape \[1, 8\]"):
        pipe.synthesize(label, inst, np.zeros((1, k, 2, 4)), np.zeros((1, 7)))
    with pytest.raises(ValueError, match=r"styles lacks \['b_logvar'\]"):
        pipe.synthesize(label, inst, np.zeros((1, k, 2, 4)), np.zeros((1, 8)),
                        styles={"s_mu": 0, "s_logvar": 0, "b_mu": 0})
    spade = INADEPipeline(CFG.replace(norm_mode="spade", use_vae=False), pipe.netG)
    with pytest.raises(ValueError, match="synthesize needs an inade model"):
        spade.synthesize(label, inst, np.zeros((1, k, 2, 4)), np.zeros((1, 8)))


# --------------------------------------------------------------------------- session
def test_session_seeds_and_renders_its_noises(pipe, scene):
    label, inst, _ = scene
    a = InstanceSession(pipe, label, inst, n_samples=3, seed=7)
    b = InstanceSession(pipe, label, inst, n_samples=3, seed=7)
    assert a.images.shape == (3, 32, 32, 3) and a.images.dtype == np.uint8
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, InstanceSession(pipe, label, inst, n_samples=3, seed=8).images)
    assert not np.array_equal(a.images[0], a.images[1])  # samples differ
    np.testing.assert_array_equal(a.raw, pipe.synthesize(np.stack([label] * 3), np.stack([inst] * 3),
                                                         a.noise, a.noise_ins))
    # the session's noises are the ones generate(seed=) draws for its samples
    np.testing.assert_allclose(pipe.synthesize(np.stack([label] * 3), np.stack([inst] * 3), a.noise, a.noise_ins,
                                               output="float"),
                               pipe.generate(label, inst, n_samples=3, seed=7, output="float")[0], atol=1e-5)
    state = paddle.get_rng_state()[0].current_seed()
    InstanceSession(pipe, label, inst, n_samples=2, seed=1).resample(int(inst[0, 0]))
    assert paddle.get_rng_state()[0].current_seed() == state  # Paddle's global stream untouched


def test_resample_changes_only_the_instance(pipe, scene):
    label, inst, _ = scene
    session = InstanceSession(pipe, label, inst, n_samples=3, seed=0)
    target = int(inst[label == 3][0]) if (label == 3).any() else int(inst[16, 16])
    before_images, before_noise, before_ins = session.images.copy(), session.noise.copy(), session.noise_ins.copy()
    change = session.resample(target)
    mask = inst == target
    np.testing.assert_array_equal(change.mask, mask)
    np.testing.assert_array_equal(session.images[:, ~mask], before_images[:, ~mask])  # composite
    assert all(not np.array_equal(session.images[s][mask], before_images[s][mask]) for s in range(3))
    np.testing.assert_array_equal(session.images[:, mask], session.raw[:, mask])
    k = session._position(target)
    others = [i for i in range(session.n_instances) if i != k]
    np.testing.assert_array_equal(session.noise[:, others], before_noise[:, others])
    np.testing.assert_array_equal(session.noise_ins, before_ins)
    assert not np.array_equal(session.noise[:, k], before_noise[:, k])
    np.testing.assert_array_equal(session.raw, pipe.synthesize(np.stack([label] * 3), np.stack([inst] * 3),
                                                               session.noise, session.noise_ins))
    assert change.leak.inside_changed > 0 and session.steps == 1


def test_class_level_noise_and_resample_class(pipe, scene):
    label, inst, _ = scene
    session = InstanceSession(pipe, label, inst, n_samples=2, seed=0, class_level=True)
    for cls in np.unique(label):
        members = [session._position(i) for i in session.instances_of_class(int(cls))]
        assert all(np.array_equal(session.noise[:, m], session.noise[:, members[0]]) for m in members)
    session = InstanceSession(pipe, label, inst, n_samples=2, seed=0)
    classes = {i: session.class_of(int(i)) for i in session.ids}
    cls = max(set(classes.values()), key=list(classes.values()).count)  # a class with >= 2 instances
    members = session.instances_of_class(cls)
    assert len(members) >= 2
    before = session.images.copy()
    change = session.resample_class(cls)
    mask = np.isin(inst, members)
    np.testing.assert_array_equal(change.mask, mask)
    np.testing.assert_array_equal(session.images[:, ~mask], before[:, ~mask])
    positions = [session._position(i) for i in members]
    assert all(np.array_equal(session.noise[:, p], session.noise[:, positions[0]]) for p in positions)
    with pytest.raises(ValueError, match=r"class 99 is not in this layout \(classes: "):
        session.resample_class(99)


def test_restyle_takes_the_reference_instance_style(pipe, scene):
    label, inst, _ = scene
    ref_label, ref_inst, ref_photo, _ = render_scene(np.random.default_rng(50), 32)
    ref_ids = ref_inst.astype(np.int64) * 10 + 5  # any ids
    reference = ReferenceStyles(pipe, ref_photo, ref_ids)
    encoded = pipe.encode(ref_photo, ref_ids)
    source = int(ref_ids[16, 16])
    pos = int(np.searchsorted(np.unique(ref_ids), source))
    for key, value in reference.of(source).items():
        np.testing.assert_array_equal(value, encoded[key][0, pos])
    target = int(inst[5, 5])
    mask = inst == target
    for sample_style in (False, True):
        session = InstanceSession(pipe, label, inst, n_samples=2, seed=3)
        before, noise = session.images.copy(), session.noise.copy()
        change = session.restyle(target, reference.of(source), sample_style=sample_style)
        np.testing.assert_array_equal(session.images[:, ~mask], before[:, ~mask])
        np.testing.assert_array_equal(session.noise, noise)  # noises kept, only the style changed
        k = session._position(target)
        styles = {key: np.zeros((2, session.n_instances, 4), np.float32) for key in encoded}
        for key in styles:  # the mean (std 0), or the encoded distribution with sample_style
            styles[key][:, k] = encoded[key][0, pos] if sample_style or key.endswith("mu") else -np.inf
        np.testing.assert_array_equal(change.raw, pipe.synthesize(np.stack([label] * 2), np.stack([inst] * 2),
                                                                  noise, session.noise_ins, styles=styles))
    # the mean: the same whatever the instance's noise
    mean_style = InstanceSession(pipe, label, inst, n_samples=2, seed=3)
    mean_style.restyle(target, reference.of(source))
    other_noise = mean_style.noise.copy()
    other_noise[:, mean_style._position(target)] += 1.0
    np.testing.assert_array_equal(mean_style.raw, pipe.synthesize(
        np.stack([label] * 2), np.stack([inst] * 2), other_noise, mean_style.noise_ins,
        styles={key: np.broadcast_to(v, (2, *v.shape)) for key, v in mean_style.styles.items()}))
    session.resample(target)  # back to the prior
    assert not session.styles["s_mu"][k].any()
    with pytest.raises(ValueError, match=r"instance 3 is not in the reference"):
        reference.of(3)
    with pytest.raises(ValueError, match=r"style s_mu must have shape \(4,\)"):
        session.restyle(target, {key: np.zeros(5) for key in encoded})


def test_session_bad_inputs(pipe, scene):
    label, inst, _ = scene
    session = InstanceSession(pipe, label, inst, n_samples=1)
    assert session.instance_at(0, 0) == int(inst[0, 0])
    for row, col in ((-1, 0), (0, 32), (32, 5)):
        with pytest.raises(ValueError, match=r"no instance at .*outside the 32x32 picture"):
            session.instance_at(row, col)
    with pytest.raises(ValueError, match=r"instance 999 is not in this layout \(ids: "):
        session.resample(999)
    with pytest.raises(ValueError, match=r"class 9 found but the model has label_nc 6"):
        InstanceSession(pipe, np.full_like(label, 9), inst)
    with pytest.raises(ValueError, match=r"the layout is 16x16 \(HxW\) but the model makes 32x32"):
        InstanceSession(pipe, label[:16, :16], inst[:16, :16])
    with pytest.raises(ValueError, match=r"n_samples must be >= 1"):
        InstanceSession(pipe, label, inst, n_samples=0)


def test_measure_leak():
    before = np.zeros((2, 4, 4, 3), np.uint8)
    after = before.copy()
    mask = np.zeros((4, 4), bool)
    mask[:2, :2] = True
    after[0, 0, 0] = 50          # inside, sample 0
    after[1, 3, 3, 2] = 10       # outside, sample 1, one channel
    after[0, 2, 0] = 255         # outside, sample 0
    leak = measure_leak(before, after, mask)
    assert leak.inside_changed == pytest.approx(1 / 8)
    assert leak.outside_changed == pytest.approx(2 / 24)
    assert leak.outside_max == 255 and leak.outside_mean == pytest.approx(265 / 24)
    assert "12% of the target's pixels changed" in leak.describe()


# --------------------------------------------------------------------------- strip
def test_strip_and_locate_round_trip():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (3, 5, 7, 3), dtype=np.uint8)
    strip = tile_strip(images, zoom=4, gap=6)
    assert strip.shape == (20, 3 * 28 + 2 * 6, 3)
    for s, r, c in ((0, 0, 0), (1, 4, 6), (2, 2, 3)):
        x, y = s * 34 + 4 * c + 2, 4 * r + 3
        assert locate(x, y, 3, 5, 7, 4, 6) == (s, r, c)
        np.testing.assert_array_equal(strip[y, x], images[s, r, c])
    assert locate(28, 3, 3, 5, 7, 4, 6) is None       # in the first gap
    assert locate(33, 3, 3, 5, 7, 4, 6) is None       # still in it
    assert locate(34, 3, 3, 5, 7, 4, 6) == (1, 0, 0)
    assert locate(3 * 34, 3, 3, 5, 7, 4, 6) is None   # right of the strip
    assert locate(3, 20, 3, 5, 7, 4, 6) is None       # below it
    assert np.all(strip[:, 28:34] == 255)


# --------------------------------------------------------------------------- inputs
def write_png(path, array) -> str:
    assert cv2.imwrite(str(path), array)
    return str(path)


def test_read_layout_files(tmp_path, scene):
    label, inst, photo = scene
    lp = write_png(tmp_path / "l.png", label.astype(np.uint8))
    ip = write_png(tmp_path / "i.png", (inst.astype(np.uint16) + 1) * 300)  # 16-bit, sparse ids
    got_label, got_inst, notes = read_layout_files(lp, ip, CFG)
    np.testing.assert_array_equal(got_label, label)
    assert len(np.unique(got_inst)) == len(np.unique(inst)) and notes == []
    twice = lambda a: cv2.resize(a.astype(np.uint8), (64, 64), interpolation=cv2.INTER_NEAREST)  # noqa: E731
    big_l, big_i = write_png(tmp_path / "bl.png", twice(label)), write_png(tmp_path / "bi.png", twice(inst))
    got_label, got_inst, notes = read_layout_files(big_l, big_i, CFG)
    np.testing.assert_array_equal(got_label, label)
    assert notes == ["bl.png 64x64 resized to the model's 32x32 (nearest)"]
    _, got_inst, notes = read_layout_files(lp, None, CFG)
    np.testing.assert_array_equal(got_inst, label)
    assert "no instance map, each class region is one instance" in notes[0]
    with pytest.raises(ValueError, match=r"bi.png is 64x64 but l.png is 32x32 \(WxH\): the instance map must have"):
        read_layout_files(lp, big_i, CFG)
    bad = write_png(tmp_path / "bad.png", np.where(label == 3, 9, label).astype(np.uint8))
    with pytest.raises(ValueError, match=r"bad.png: class(es)? \[9\] beyond the model's 6 classes \(0..5\)"):
        read_layout_files(bad, ip, CFG)
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(ValueError, match=r"notes.txt: not a readable image"):
        read_layout_files(str(text), ip, CFG)
    with pytest.raises(ValueError, match=r"class(es)? \[255\] .*contain_dontcare_label"):
        fit_layout(np.full((32, 32), 255), np.zeros((32, 32)), CFG)
    dontcare = CFG.replace(contain_dontcare_label=True)
    dc = write_png(tmp_path / "dc.png", np.where(label == 0, 255, label).astype(np.uint8))
    assert read_layout_files(dc, ip, dontcare)[0].max() == 6  # 255 -> label_nc


def test_read_reference_files(tmp_path, scene):
    _, inst, photo = scene
    pp = write_png(tmp_path / "p.png", cv2.resize(photo, (48, 40))[..., ::-1])
    ip = write_png(tmp_path / "i.png", cv2.resize(inst.astype(np.uint8), (48, 40), interpolation=cv2.INTER_NEAREST))
    got_photo, got_inst, notes = read_reference_files(pp, ip, CFG)
    assert got_photo.shape == (32, 32, 3) and got_inst.shape == (32, 32)
    assert notes == ["p.png photo 48x40 resized to the model's 32x32",
                     "p.png instance map 48x40 resized to 32x32 (nearest)"]
    got_photo, got_inst, notes = read_reference_files(pp, None, CFG)
    assert not got_inst.any() and got_inst.shape == (32, 32)
    assert notes == ["p.png photo 48x40 resized to the model's 32x32",
                     "p.png: no instance map, the whole photo is one instance"]
    with pytest.raises(ValueError, match=r"i.png is 32x32 but q.png is 48x40"):
        read_reference_files(write_png(tmp_path / "q.png", cv2.resize(photo, (48, 40))),
                             write_png(tmp_path / "i.png", inst.astype(np.uint8)), CFG)
    with pytest.raises(ValueError, match=r"RGB uint8"):
        fit_reference(photo.astype(np.float32), inst, CFG)


def test_scenes_read_a_datasets_split(tmp_path):
    from paddle_inade.data.toy_scenes import write_toy_dataset
    from paddle_inade.data import DataConfig
    from paddle_inade.interactive import Scenes
    root = write_toy_dataset(str(tmp_path / "toy"), n_images=2, size=32, n_val=2)
    scenes = Scenes(DataConfig.for_dataset("toy", "test", dataroot=root, crop_size=32, load_size=32))
    assert len(scenes) == 2 and scenes.name(0) == "00002.png"
    label, inst, photo = scenes[0]
    np.testing.assert_array_equal(label, cv2.imread(os.path.join(root, "val_label", "00002.png"), -1))
    np.testing.assert_array_equal(photo, cv2.imread(os.path.join(root, "val_img", "00002.png"))[..., ::-1])
    assert inst.shape == (32, 32) and inst.min() == 0


def test_export_pngs(tmp_path):
    images = np.random.default_rng(0).integers(0, 255, (3, 8, 8, 3), dtype=np.uint8)
    paths = export_pngs(images, str(tmp_path / "out"))
    assert [os.path.basename(p) for p in paths] == ["inade_strip.png", "inade_sample1.png", "inade_sample2.png",
                                                     "inade_sample3.png"]
    for k, path in enumerate(paths[1:]):
        np.testing.assert_array_equal(cv2.imread(path)[..., ::-1], images[k])
    assert os.listdir(tmp_path / "out") == [os.path.basename(os.path.dirname(paths[0]))]  # no temporary left
    assert len(set(os.path.dirname(p) for p in export_pngs(images, str(tmp_path / "out")))) == 1
    assert len(os.listdir(tmp_path / "out")) == 2  # a second export goes to its own folder
    with pytest.raises(ValueError, match=r"uint8 \[S, H, W, 3\]"):
        export_pngs(images[0], str(tmp_path / "out"))
