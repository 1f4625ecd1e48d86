"""FID (Inception-v3 architecture, weights, Fréchet distance, tool) and diversity measures."""
from __future__ import annotations

import json
import os
import warnings

import cv2
import numpy as np
import paddle
import pytest

from conftest import FIXTURES
from paddle_inade.eval.diversity import (correlation, instance_classes, instance_mean_colours,
                                         same_class_correlation, spread)
from paddle_inade.eval.fid import features_of_images, frechet_distance, statistics
from test_pipeline import load_tool, make_experiment

pytestmark = pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")


def _reference_fid(mu1, s1, mu2, s2):
    """float64 FID by eigen-decomposition: Tr(sqrt(S1 S2)) = sum sqrt(eig(sqrt(S1) S2 sqrt(S1)))."""
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    eig = np.linalg.eigvalsh(root @ s2 @ root)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(eig, 0, None)).sum())


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    """Random-weight FID Inception saved as .pdparams (the real weights cannot be downloaded here)."""
    from paddle_inade.eval.inception import FIDInceptionV3
    paddle.seed(0)
    path = tmp_path_factory.mktemp("inception") / "inception.pdparams"
    paddle.save(FIDInceptionV3().state_dict(), str(path))
    return str(path)


# --------------------------------------------------------------------------- Fréchet distance
def test_fid_of_a_set_with_itself_is_zero():
    feats = np.random.RandomState(0).randn(200, 16)
    mu, sigma = statistics(feats)
    assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-6


def test_fid_matches_float64_reference_on_random_statistics():
    rng = np.random.RandomState(1)
    a, b = rng.randn(300, 12), rng.randn(300, 12) @ rng.randn(12, 12) * 0.5 + 0.3
    s1, s2 = statistics(a), statistics(b)
    assert frechet_distance(*s1, *s2) == pytest.approx(_reference_fid(*s1, *s2), rel=1e-6)
    # float32 statistics go through float64 too
    s1_32 = [x.astype(np.float32) for x in s1]
    assert frechet_distance(*s1_32, *s2) == pytest.approx(_reference_fid(*s1, *s2), rel=1e-4)


def test_fid_of_two_gaussians_has_the_closed_form():
    """Diagonal covariances: ||mu1-mu2||^2 + sum (sqrt(a) - sqrt(b))^2."""
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    expected = 3.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(np.zeros(3), np.diag(a), np.ones(3), np.diag(b)) == pytest.approx(expected, abs=1e-12)


def test_fid_of_singular_covariances_is_finite_and_bad_sizes_are_errors():
    rng = np.random.RandomState(2)
    a, b = rng.randn(5, 20), rng.randn(5, 20)  # 5 samples in 20-d: rank-deficient covariances
    assert np.isfinite(frechet_distance(*statistics(a), *statistics(b)))
    with pytest.raises(ValueError, match="statistics of different sizes"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match=r"need \[N >= 2, D\]"):
        statistics(np.zeros((1, 4)))


# --------------------------------------------------------------------------- Inception
def test_inception_architecture_matches_pytorch_fid():
    """torchvision's Inception-v3 has 27,161,264 parameters; pytorch-fid's FID variant drops the
    auxiliary head (3,326,696) and has a 1008-way fc (+8 x 2049): 23,850,960."""
    from paddle_inade.eval.inception import FIDInceptionV3
    net = FIDInceptionV3()
    net.eval()
    trainable = sum(int(np.prod(p.shape)) for p in net.parameters() if p.trainable)
    assert trainable == 27_161_264 - 3_326_696 + 8 * 2049
    x = paddle.rand([2, 3, 40, 40])
    assert [net(x, dims).shape for dims in (64, 192, 768, 2048)] == [[2, 64], [2, 192], [2, 768], [2, 2048]]


def test_inception_features_match_pytorch_fid_on_the_same_weights():
    """pytorch-fid's own InceptionV3 (tests/fixtures/fid/make_fid_fixture.py ran it) and ours, on
    the same deterministic random weights (tests/fixtures/fid/random_weights.py), the same
    75x100 images: every block's features (its --dims 64, 192, 768, 2048)."""
    import sys

    from paddle_inade.eval.inception import FIDInceptionV3
    from paddle_inade.weights import TorchState, load_weights
    sys.path.insert(0, str(FIXTURES / "fid"))
    try:
        from random_weights import random_state
    finally:
        sys.path.pop(0)
    keys = json.loads((FIXTURES / "fid" / "keys.json").read_text())["keys"]
    net = load_weights(FIDInceptionV3(), TorchState(random_state(keys)), source="random pytorch-fid weights")
    net.eval()
    with np.load(FIXTURES / "fid" / "fixture.npz") as ref:
        x = paddle.to_tensor(ref["images"])
        for dims in (64, 192, 768, 2048):
            want = ref[f"dims{dims}"]
            got = net(x, dims).numpy()
            err = np.abs(got - want).max() / np.abs(want).max()
            assert err < 1e-4, (dims, err)


def test_inception_weights_load_from_a_pytorch_fid_style_file(tmp_path):
    """pytorch-fid names: ``<block>.conv.weight``, ``<block>.bn.running_mean``, fc [out, in]."""
    from paddle_inade.eval.inception import FIDInceptionV3, load_inception
    from torch_format import write_torch_zip
    net = FIDInceptionV3()
    torch_state = {}
    for key, value in net.state_dict().items():
        value = np.random.RandomState(len(torch_state)).rand(*value.shape).astype("float32")
        key = key.replace("bn._mean", "bn.running_mean").replace("bn._variance", "bn.running_var")
        torch_state[key] = value.T if key == "fc.weight" else value
        if key.endswith("bn.running_var"):
            torch_state[key[: -len("running_var")] + "num_batches_tracked"] = np.array(0, np.int64)
    write_torch_zip(tmp_path / "pt_inception.pth", torch_state)
    loaded = load_inception(str(tmp_path / "pt_inception.pth"))
    np.testing.assert_array_equal(loaded.Mixed_7c.branch_pool.bn._mean.numpy(),
                                  torch_state["Mixed_7c.branch_pool.bn.running_mean"])
    np.testing.assert_array_equal(loaded.fc.weight.numpy(), torch_state["fc.weight"].T)
    del torch_state["Mixed_5b.branch1x1.conv.weight"]
    write_torch_zip(tmp_path / "broken.pth", torch_state)
    with pytest.raises(ValueError, match=r"broken.pth does not fit FIDInceptionV3: 1 missing"):
        load_inception(str(tmp_path / "broken.pth"))
    with pytest.raises(FileNotFoundError, match="no Inception weights file"):
        load_inception(str(tmp_path / "absent.pth"))


def test_features_do_not_depend_on_batching_or_mixed_sizes(inception_file):
    from paddle_inade.eval.inception import load_inception
    net = load_inception(inception_file)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (24, 24, 3), dtype=np.uint8) for _ in range(3)]
    images.insert(1, rng.integers(0, 256, (20, 28, 3), dtype=np.uint8))
    together = features_of_images(net, images, batch_size=4)
    alone = np.concatenate([features_of_images(net, [im], batch_size=1) for im in images])
    assert together.shape == (4, 2048)
    np.testing.assert_allclose(together, alone, rtol=1e-4, atol=1e-5)


def test_eval_fid_tool(tmp_path, inception_file, capsys):
    rng = np.random.default_rng(1)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        for i in range(3):
            cv2.imwrite(str(tmp_path / folder / f"{i}.png"), rng.integers(0, 256, (24, 24, 3), dtype=np.uint8))
    tool = load_tool("eval_fid")
    common = ["--inception_weights", inception_file, "--gpu_ids", "-1", "--dims", "64"]  # 2048: 20 s of sqrtm
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    assert tool.main([a, a, *common, "--save_stats", str(tmp_path / "a.npz")]) == 0
    assert abs(float(capsys.readouterr().out.split()[-1])) < 1e-3
    assert tool.main([a, b, *common]) == 0
    a_vs_b = float(capsys.readouterr().out.split()[-1])
    assert a_vs_b > 1e-2
    assert tool.main([str(tmp_path / "a.npz"), b, *common]) == 0  # saved statistics reused
    assert float(capsys.readouterr().out.split()[-1]) == pytest.approx(a_vs_b, rel=1e-6)
    assert tool.main([a, str(tmp_path / "none"), *common]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_eval_fid_takes_the_original_fid_score_options(tmp_path, inception_file, capsys, monkeypatch):
    """fid_score.py REAL FAKE --batch-size 1 --gpu '' --save_np_name / --load_np_name NAME --resize_size -1."""
    rng = np.random.default_rng(1)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        for i in range(3):
            cv2.imwrite(str(tmp_path / folder / f"{i}.png"), rng.integers(0, 256, (24, 24, 3), dtype=np.uint8))
    monkeypatch.chdir(tmp_path)
    tool = load_tool("eval_fid")
    common = ["--inception_weights", inception_file, "--batch-size", "1", "--gpu", "", "--dims", "64",
              "--resize_size", "-1"]
    assert tool.main(["a", "b", *common, "--save_np_name", "toy"]) == 0
    a_vs_b = float(capsys.readouterr().out.split()[-1])
    assert sorted(os.listdir(tmp_path / "datasets" / "train_mu_si" / "toy")) == ["m.npy", "s.npy"]
    assert tool.main(["ignored", "b", *common, "--load_np_name", "toy"]) == 0
    captured = capsys.readouterr()
    assert float(captured.out.split()[-1]) == pytest.approx(a_vs_b, rel=1e-6)
    assert "ignored is not read" in captured.err
    assert tool.main(["a", "b", *common, "--load_np_name", "absent"]) == 2
    assert "no statistics named 'absent'" in capsys.readouterr().err


# --------------------------------------------------------------------------- diversity
def test_instance_colours_spread_and_correlation_known_answers():
    inst = np.zeros((4, 4), int)
    inst[:, 2:] = 1
    imgs = np.zeros((3, 4, 4, 3), np.uint8)
    imgs[:, :, :2] = np.array([[10, 10, 10], [20, 20, 20], [30, 30, 30]])[:, None, None]
    imgs[:, :, 2:] = np.array([[30, 30, 30], [20, 20, 20], [10, 10, 10]])[:, None, None]
    means = instance_mean_colours(imgs, inst)
    np.testing.assert_allclose(means[:, 0, 0], [10, 20, 30])
    np.testing.assert_allclose(spread(means), [np.std([10, 20, 30])] * 2)
    assert correlation(means[:, 0], means[:, 1]) == pytest.approx(-1.0)
    assert correlation(means[:, 0], means[:, 0] * 2 + 5) == pytest.approx(1.0)
    assert np.isnan(correlation(means[:, 0], np.full((3, 3), 7.0)))  # a constant instance
    assert same_class_correlation(means, {0: 3, 1: 3}) == pytest.approx([-1.0])
    assert same_class_correlation(means, {0: 3, 1: 4}) == []


def test_independent_instances_correlate_near_zero():
    rng = np.random.default_rng(0)
    inst = np.repeat(np.arange(3), 4)[None].repeat(2, 0)  # [2, 12]: ids 0, 1, 2
    colours = rng.uniform(0, 255, (400, 3, 3))  # independent per instance
    colours[:, 2] = colours[:, 0]  # instance 2 copies instance 0
    images = np.repeat(colours, 4, axis=1)[:, None].repeat(2, 1).astype(np.uint8)
    means = instance_mean_colours(images, inst)
    independent, copied = same_class_correlation(means, {0: 3, 1: 3}), same_class_correlation(means, {0: 3, 2: 3})
    assert abs(independent[0]) < 0.15 and copied[0] == pytest.approx(1.0)
    label = np.array([[3, 3, 4], [3, 4, 4]])
    assert instance_classes(label, np.array([[0, 0, 0], [1, 1, 1]])) == {0: 3, 1: 4}


def test_eval_diversity_tool_and_report(tmp_path, capsys):
    from paddle_inade import build_encoder, build_generator
    from paddle_inade.pipeline import INADEPipeline
    from test_pipeline import CFG
    paddle.seed(0)
    make_experiment(tmp_path / "ck" / "tiny", INADEPipeline(CFG, build_generator(CFG), build_encoder(CFG)))
    tool = load_tool("eval_diversity")
    argv = ["--name", "tiny", "--checkpoints_dir", str(tmp_path / "ck"), "--n_layouts", "3", "--n_samples", "3",
            "--gpu_ids", "-1", "--json", str(tmp_path / "d.json")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert tool.main(argv) == 0
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["layouts"] == 3 and report["samples_per_layout"] == 3 and report["spread_ratio"] > 0
    assert {"same_class_abs_r", "shared_noise_abs_r", "restyle_ratio", "restyle_error", "restyle_baseline"} <= set(report)
    # the same numbers as the quality measure on the same layouts (one evaluation stack, one unit)
    from paddle_inade.data.toy_scenes import render_scene
    from paddle_inade.eval.quality import evaluate_quality
    pipe = INADEPipeline.from_checkpoint(tmp_path / "ck" / "tiny", device="cpu")
    layouts = [render_scene(np.random.default_rng(10_000 + i), CFG.image_size[0])[:3] for i in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        direct = evaluate_quality(pipe, layouts, 3, 0)
    assert report["restyle_ratio"] == pytest.approx(direct.restyle_ratio, rel=1e-6)
    assert report["spread_ratio"] == pytest.approx(direct.spread_ratio, rel=1e-6)
    assert "restyle_ratio" in capsys.readouterr().out
