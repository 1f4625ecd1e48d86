"""GroupDNetPipeline and the class-vs-instance measurements (properties, untrained tiny models)."""
from __future__ import annotations

import numpy as np
import paddle
import pytest
import yaml

from paddle_inade.data.toy_scenes import render_scene
from paddle_inade.eval.class_vs_instance import change_locality, measure, resample_class
from paddle_inade.smis import SMISConfig, build_encoder, build_generator
from paddle_inade.smis.pipeline import GroupDNetPipeline


@pytest.fixture(scope="module")
def pipe():
    paddle.seed(3)
    cfg = SMISConfig.preset("toy")
    return GroupDNetPipeline(cfg, build_generator(cfg), build_encoder(cfg))


@pytest.fixture(scope="module")
def scene():
    label, inst, image, _ = render_scene(np.random.default_rng(101), 64)
    return label, inst, image


def test_generate_is_seeded_and_leaves_the_global_rng_alone(pipe, scene):
    label, inst, _ = scene
    state = paddle.get_rng_state()
    a = pipe.generate(label, n_samples=2, seed=5)
    b = pipe.generate(label, n_samples=2, seed=5)
    assert a.shape == (1, 2, 64, 64, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[0, 0], a[0, 1])
    after = paddle.get_rng_state()
    assert all(np.array_equal(x.current_seed(), y.current_seed()) for x, y in zip(state, after))


def test_resample_changes_only_the_chosen_code(pipe, scene):
    label, _, _ = scene
    base = pipe.sample_codes(1, np.random.default_rng(0))
    same = pipe.resample(label, 2, n_samples=1, seed=1, codes=base)
    fixed = pipe.generate(label, codes=base)
    assert same.shape == fixed.shape
    # resampling a class absent from the layout changes nothing visible ... up to its code's reach
    absent = [c for c in range(6) if not (label == c).any()]
    if absent:
        unchanged = pipe.resample(label, absent[0], n_samples=1, seed=1, codes=base)
        assert np.abs(unchanged.astype(int) - fixed.astype(int)).max() <= 1


def test_encode_shapes(pipe, scene):
    label, _, image = scene
    codes = pipe.encode(label, image)
    assert codes["mu"].shape == (1, 48, 2, 2) and codes["logvar"].shape == (1, 48, 2, 2)
    out = pipe.generate(label, image=image, n_samples=2, seed=0)
    np.testing.assert_array_equal(out[0, 0], out[0, 1])  # the codes' means: deterministic


def test_bad_input_is_named(pipe, scene):
    label, _, _ = scene
    with pytest.raises(ValueError, match=r"class_id \(--test_mask\) 6: the model has class codes 0..5"):
        pipe.resample(label, 6)
    with pytest.raises(ValueError, match="class 7 found but the model has label_nc 6"):
        pipe.generate(np.full((64, 64), 7))
    with pytest.raises(ValueError, match=r"label is \[32, 32\] but the model makes \[64, 64\]"):
        pipe.generate(np.zeros((32, 32), int))


def test_save_and_load_pretrained(pipe, scene, tmp_path):
    label, _, _ = scene
    pipe.save_pretrained(tmp_path / "p")
    again = GroupDNetPipeline.from_pretrained(tmp_path / "p")
    np.testing.assert_array_equal(again.generate(label, seed=2), pipe.generate(label, seed=2))
    with pytest.raises(FileNotFoundError, match="pipeline.json"):
        GroupDNetPipeline.from_pretrained(tmp_path)


def _nets(cfg, seed):
    paddle.seed(seed)
    return build_generator(cfg), build_encoder(cfg)


def test_a_run_folder_loads_its_weight_averages_unless_told_not_to(scene, tmp_path):
    """As INADEPipeline: <epoch>_net_G_ema / _net_E_ema when the run has them; ema=False: the trained ones."""
    cfg = SMISConfig.preset("toy")
    (tmp_path / "opt.yaml").write_text(yaml.safe_dump({"model": cfg.to_dict(), "train": {"model": "smis"},
                                                       "data": {"dataset_mode": "toy"}}))
    expected = {}
    for suffix, seed in (("", 1), ("_ema", 2)):
        netG, netE = _nets(cfg, seed)
        paddle.save(netG.state_dict(), str(tmp_path / f"latest_net_G{suffix}.pdparams"))
        paddle.save(netE.state_dict(), str(tmp_path / f"latest_net_E{suffix}.pdparams"))
        expected[suffix] = GroupDNetPipeline(cfg, netG, netE)
    label, _, image = scene
    for ema, suffix in ((True, "_ema"), (False, "")):
        loaded = GroupDNetPipeline.from_checkpoint(tmp_path, device="cpu", ema=ema)
        want = expected[suffix]
        np.testing.assert_array_equal(loaded.generate(label, seed=4), want.generate(label, seed=4))
        np.testing.assert_allclose(loaded.encode(label, image)["mu"], want.encode(label, image)["mu"], atol=1e-5)
    (tmp_path / "latest_net_G_ema.pdparams").unlink()
    (tmp_path / "latest_net_E_ema.pdparams").unlink()
    plain = GroupDNetPipeline.from_checkpoint(tmp_path, device="cpu")  # no averages: the trained weights
    np.testing.assert_array_equal(plain.generate(label, seed=4), expected[""].generate(label, seed=4))


def test_change_locality():
    before = np.zeros((4, 4, 3), np.uint8)
    after = before.copy()
    after[0, 0] = 100
    after[3, 3] = 20
    region = np.zeros((4, 4), bool)
    region[0, 0] = True
    inside, outside = change_locality(before, after, region)
    assert inside == pytest.approx(100 / 120)
    assert outside == pytest.approx(1 / 15)


def test_measure_reports_both_measurements(pipe):
    layouts = [render_scene(np.random.default_rng(10_000 + i), 64)[:3] for i in range(2)]
    report = measure(pipe, layouts, n_samples=3, seed=0)
    assert report["layouts"] == 2 and 0 <= report["resample_change_inside_class"] <= 1
    assert -1 <= report["same_class_correlation"] <= 1 or report["same_class_pairs"] == 0
    label, inst, _ = layouts[0]
    series = resample_class(pipe, label, inst, 3, 2, 0)
    assert series.shape == (2, 64, 64, 3)


def test_the_pipeline_leaves_the_callers_networks_as_they_are(scene):
    """Networks handed to GroupDNetPipeline keep their training mode and their spectral norms; each
    call runs them in eval mode (the same images as networks put in eval mode by hand)."""
    from paddle_inade.nn import SpectralConv2D
    cfg = SMISConfig.preset("toy")
    paddle.seed(5)
    netG, netE = build_generator(cfg), build_encoder(cfg)
    netG.train()
    netE.train()
    pipe = GroupDNetPipeline(cfg, netG, netE)
    label, inst, image = scene
    first = pipe.generate(label, inst, seed=1)
    assert netG.training and netE.training and all(layer.training for layer in netG.sublayers())
    assert any(isinstance(layer, SpectralConv2D) for layer in netG.sublayers())
    pipe.encode(label, image, inst)
    assert netE.training
    netG.eval()
    np.testing.assert_array_equal(first, pipe.generate(label, inst, seed=1))


def _folded(cfg, seed):
    import copy
    from paddle_inade.nn import remove_spectral_norm
    netG = copy.deepcopy(_nets(cfg, seed)[0])
    netG.eval()
    remove_spectral_norm(netG)
    return netG


def test_onednn_program_equals_the_eager_generator_and_follows_its_weights(scene):
    cfg = SMISConfig.preset("toy")
    netG = _folded(cfg, 4)
    fast = GroupDNetPipeline(cfg, netG, impl="onednn")
    eager = GroupDNetPipeline(cfg, netG, impl="reference")
    semantics, _ = fast._semantics(scene[0])
    codes = fast.sample_codes(1, seed=0)
    want, got = eager._run(semantics, codes), fast._run(semantics, codes)
    assert np.linalg.norm(got - want) <= 1e-5 * np.linalg.norm(want)
    netG.conv_img.bias.set_value(netG.conv_img.bias.numpy() - 0.5)  # the program must not run stale
    want, got = eager._run(semantics, codes), fast._run(semantics, codes)
    assert np.linalg.norm(got - want) <= 1e-5 * np.linalg.norm(want)
    two = np.concatenate([codes, fast.sample_codes(1, seed=1)])  # another batch: its own program
    want = eager._run(paddle.concat([semantics, semantics]), two)
    got = fast._run(paddle.concat([semantics, semantics]), two)
    assert np.linalg.norm(got - want) <= 1e-5 * np.linalg.norm(want)


def test_onednn_impl_needs_folded_spectral_norms(pipe, scene):
    with pytest.raises(ValueError, match="spectral norms folded"):
        GroupDNetPipeline(pipe.cfg, pipe.netG, impl="onednn").generate(scene[0], seed=0)
    with pytest.raises(ValueError, match="impl must be one of"):
        GroupDNetPipeline(pipe.cfg, pipe.netG, impl="fast")
    with pytest.raises(ValueError, match="impl='onednn' runs on the CPU"):
        from paddle_inade.nn.onednn_program import choose_impl
        choose_impl("onednn", "gpu:0")


def test_a_failing_onednn_program_falls_back_to_the_eager_generator(scene, monkeypatch, caplog):
    from paddle_inade.nn import onednn_program
    cfg = SMISConfig.preset("toy")
    netG = _folded(cfg, 7)
    want = GroupDNetPipeline(cfg, netG, impl="reference").generate(scene[0], seed=3)

    def broken(*args, **kwargs):
        raise NotImplementedError("an op the executor cannot run")
    monkeypatch.setattr(onednn_program.ProgramCache, "get", broken)
    auto = GroupDNetPipeline(cfg, netG)
    with caplog.at_level("WARNING"):
        np.testing.assert_array_equal(auto.generate(scene[0], seed=3), want)
    assert auto.impl == "reference" and "oneDNN program failed" in caplog.text
    with pytest.raises(NotImplementedError, match="cannot run"):
        GroupDNetPipeline(cfg, netG, impl="onednn").generate(scene[0], seed=3)
