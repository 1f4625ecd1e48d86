"""FID and diversity measures against known answers."""
from __future__ import annotations

import numpy as np
import paddle
import pytest

from paddle_inade.eval.diversity import (correlation, instance_mean_colours, restyle_error,
                                         same_class_correlation, spread)
from paddle_inade.eval.fid import frechet_distance, statistics


def _reference_fid(mu1, s1, mu2, s2):
    """float64 FID by eigen-decomposition: Tr(sqrt(S1 S2)) = sum sqrt(eig(sqrt(S1) S2 sqrt(S1)))."""
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    eig = np.linalg.eigvalsh(root @ s2 @ root)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(eig, 0, None)).sum())


def test_fid_of_a_set_with_itself_is_zero():
    feats = np.random.RandomState(0).randn(200, 16)
    mu, sigma = statistics(feats)
    assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-6


def test_fid_matches_float64_reference_on_random_statistics():
    rng = np.random.RandomState(1)
    a, b = rng.randn(300, 12), rng.randn(300, 12) @ rng.randn(12, 12) * 0.5 + 0.3
    s1, s2 = statistics(a), statistics(b)
    assert frechet_distance(*s1, *s2) == pytest.approx(_reference_fid(*s1, *s2), rel=1e-6)


def test_fid_of_singular_covariances_is_finite():
    rng = np.random.RandomState(2)
    a = rng.randn(5, 20)  # 5 samples in 20-d: rank-deficient covariances
    b = rng.randn(5, 20)
    assert np.isfinite(frechet_distance(*statistics(a), *statistics(b)))


def test_inception_builds_and_gives_2048_features():
    from paddle_inade.eval.inception import FIDInceptionV3
    net = FIDInceptionV3()
    net.eval()
    assert net(paddle.rand([2, 3, 40, 40])).shape == [2, 2048]


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
    assert same_class_correlation(means, {0: 3, 1: 3}) == pytest.approx([-1.0])
    assert same_class_correlation(means, {0: 3, 1: 4}) == []
    ref = np.zeros((4, 4, 3), np.uint8)
    ref[:, :2] = 13
    assert restyle_error(imgs[0], inst, 0, ref, inst, 0) == pytest.approx(np.sqrt(3) * 3)


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
