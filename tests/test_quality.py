"""The quality measure: per-instance statistics, distances, correlations and the report's plumbing."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from paddle_inade.eval.instance_stats import ENERGY_FLOOR, instance_stats
from paddle_inade.eval.quality import (distribution_distances, evaluate_quality, pool_by_class,
                                       same_class_abs_r)


def two_halves(left_rgb, right_rgb, size=8):
    """An image whose left half (instance 0, class 0) and right half (instance 1, class 1) are flat."""
    image = np.zeros((size, size, 3), np.uint8)
    image[:, : size // 2], image[:, size // 2:] = left_rgb, right_rgb
    inst = np.zeros((size, size), np.int64)
    inst[:, size // 2:] = 1
    return image, inst.copy(), inst


def test_instance_stats_means_and_texture_inside_instances_only():
    image, label, inst = two_halves((255, 0, 0), (0, 0, 255))
    s = instance_stats(image, label, inst)
    np.testing.assert_allclose(s.mean, [[1, -1, -1], [-1, -1, 1]])
    # flat instances: no texture, although the pair across the boundary differs strongly
    np.testing.assert_allclose(s.log_energy, np.log10(ENERGY_FLOOR))
    assert s.classes.tolist() == [0, 1] and s.pixels.tolist() == [32, 32]
    striped = image.copy()
    striped[::2, : 4] = 0  # rows alternate inside instance 0 only
    t = instance_stats(striped, label, inst)
    assert t.log_energy[0] > -1 and t.log_energy[1] == pytest.approx(np.log10(ENERGY_FLOOR))


def test_depth_leaves_out_the_pairs_beside_a_boundary():
    image, label, inst = two_halves((255, 0, 0), (0, 0, 255))
    soft = image.copy()
    soft[:, 3] = (128, 0, 128)  # a soft edge: the column of instance 0 beside the boundary is mixed
    assert instance_stats(soft, label, inst).log_energy[0] > -2  # counts as texture over all pairs
    deep = instance_stats(soft, label, inst, depth=1)
    np.testing.assert_allclose(deep.log_energy, np.log10(ENERGY_FLOOR))  # not 1 px inside
    np.testing.assert_allclose(deep.mean, instance_stats(soft, label, inst).mean)  # means keep every pixel


def test_inner_pixels_are_each_instance_eroded_with_the_edges_repeated():
    import cv2
    from paddle_inade.eval.instance_stats import inner_pixels
    inst = np.random.default_rng(0).integers(0, 3, (4, 5)).repeat(3, 0).repeat(3, 1)
    for depth in (0, 1, 2):
        expected = np.zeros(inst.shape, bool)
        for k in np.unique(inst):
            kernel = np.ones((2 * depth + 1,) * 2, np.uint8)
            expected |= cv2.erode((inst == k).astype(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE).astype(bool)
        np.testing.assert_array_equal(inner_pixels(inst, depth), expected)
        framed = inner_pixels(inst, depth, border=2)
        np.testing.assert_array_equal(framed[2:-2, 2:-2], expected[2:-2, 2:-2])
        assert not framed[:2].any() and not framed[-2:].any() and not framed[:, :2].any() and not framed[:, -2:].any()


def test_distances_zero_for_identical_and_shift_for_shifted_colours():
    rng = np.random.default_rng(0)
    stats = []
    for _ in range(20):
        left = rng.integers(0, 200, 3)
        image, label, inst = two_halves(left, left + 40)
        stats.append(instance_stats(image, label, inst))
    real = pool_by_class(stats, min_pixels=1)
    assert all(d == (0.0, 0.0) for d in distribution_distances(real, real).values())
    shifted = {c: {"mean": v["mean"] + 0.25, "log_energy": v["log_energy"]} for c, v in real.items()}
    for colour, texture in distribution_distances(real, shifted).values():
        assert colour == pytest.approx(0.25) and texture == 0.0


def test_same_class_correlation_of_coupled_and_independent_instances():
    rng = np.random.default_rng(1)
    label = np.zeros((8, 8), np.int64)  # one class, two instances
    inst = np.zeros((8, 8), np.int64)
    inst[:, 4:] = 1
    coupled, independent = [], []
    for _ in range(32):
        a, b = rng.integers(0, 255, 3), rng.integers(0, 255, 3)
        image = np.zeros((8, 8, 3), np.uint8)
        image[:, :4], image[:, 4:] = a, a
        coupled.append(instance_stats(image, label, inst))
        image[:, 4:] = b
        independent.append(instance_stats(image, label, inst))
    assert same_class_abs_r(coupled, 1) == [pytest.approx(1.0)]
    assert same_class_abs_r(independent, 1)[0] < 0.5


class CopyPipeline:
    """A stand-in model: prior samples are random flat colours per instance, the restyle paints the
    reference instance's colour, the reconstruction paints the photo."""

    def __init__(self, layouts):
        self.cfg = SimpleNamespace(is_inade=True)
        self.netE = object()
        self.layouts = layouts

    def _paint(self, inst, colours):
        return np.stack([c[i] for c, i in zip(colours, inst)])[:, None]

    def generate(self, label, inst, seed=None, shared_noise=False, image=None):
        rng = np.random.default_rng(seed)
        if image is not None:
            return np.asarray(image)[:, None]
        k = int(inst.max()) + 1
        colours = rng.integers(0, 256, (len(inst), k, 3)).astype(np.uint8)
        if shared_noise:
            colours[:] = colours[:, :1]
        return self._paint(inst, colours)

    def restyle(self, label, inst, ref_image, ref_label, ref_inst, mapping, seed=None):
        k = int(inst.max()) + 1
        colours = np.zeros((len(inst), k, 3), np.uint8)
        for t, s in mapping.items():
            colours[:, t] = np.round(ref_image[ref_inst == s].mean(axis=0)).astype(np.uint8)
        return self._paint(inst, colours)


def test_evaluate_quality_plumbing_with_a_stand_in_model():
    rng = np.random.default_rng(2)
    layouts = []
    for _ in range(4):
        image, _, inst = two_halves(rng.integers(0, 256, 3), rng.integers(0, 256, 3), size=16)
        layouts.append((np.zeros_like(inst), inst, image))  # two instances of class 0
    report = evaluate_quality(CopyPipeline(layouts), layouts, n_samples=8, seed=0, reference=layouts,
                              min_pixels=4, n_restyle=2)
    assert report.colour_floor == 0.0  # the reference is the evaluation set itself
    assert report.restyle_ratio == pytest.approx(0.0, abs=0.01)  # exact copies of the reference colour
    assert report.reconstruction_error == pytest.approx(0.0, abs=1e-9)
    assert report.shared_noise_abs_r == pytest.approx(1.0)  # one colour for both instances
    assert report.same_class_pairs == 4 and report.same_class_abs_r < 0.9
    assert math.isfinite(report.spread_ratio) and report.spread_ratio > 0
    assert set(report.per_class) == {"0"}
    assert "colour_distance" in report.scalars() and "real-vs-real floor" in report.format()


def test_evaluate_quality_refuses_too_few_samples_or_layouts():
    layouts = [two_halves((0, 0, 0), (9, 9, 9))[::-1]] * 2
    with pytest.raises(ValueError, match="n_samples must be >= 2"):
        evaluate_quality(CopyPipeline(layouts), layouts, n_samples=1)
    with pytest.raises(ValueError, match="at least 2 evaluation layouts"):
        evaluate_quality(CopyPipeline(layouts), layouts[:1], n_samples=4)
