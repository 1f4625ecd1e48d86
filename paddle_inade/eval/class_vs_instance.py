"""Class-level (GroupDNet) against instance-level (INADE) diversity, measured on generated images.

Two measurements per layout, for either pipeline:

* ``same_class_correlation``: over K samples, the correlation of the mean colours of two object
  instances of the same class (``diversity.same_class_correlation``). One code per class (GroupDNet)
  moves them together (|r| near 1); one noise per instance (INADE) leaves them independent.
* resampling one class N (GroupDNet: SMIS's ``--test_mask N``, its 8 code channels drawn anew;
  INADE: new noise for every instance of class N, everything else fixed): ``change_inside`` is the
  share of the total absolute pixel change that falls inside class N's region, ``pixels_changed_outside``
  the share of pixels outside class N that changed by more than ``threshold`` (0-255 scale).
"""
from __future__ import annotations

import numpy as np
import paddle

from ..data.toy_scenes import OBJECTS
from ..nn.modes import eval_mode
from .diversity import instance_classes, instance_mean_colours, same_class_correlation

THRESHOLD = 8.0  # a pixel "changed" when one of its channels moved by more than this (0-255)


def change_locality(before: np.ndarray, after: np.ndarray, region: np.ndarray,
                    threshold: float = THRESHOLD) -> tuple[float, float]:
    """(share of the absolute change inside ``region``, share of pixels outside it that changed).

    before, after: uint8 [H, W, 3]; region: bool [H, W]. NaN share when nothing changed."""
    diff = np.abs(np.asarray(after, np.float64) - np.asarray(before, np.float64))
    total = diff.sum()
    inside = diff[region].sum() / total if total > 0 else float("nan")
    outside = ~region
    moved = (diff.max(axis=-1) > threshold)[outside]
    return float(inside), float(moved.mean()) if moved.size else float("nan")


def _reindexed(instance: np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(instance), return_inverse=True)[1].reshape(np.shape(instance))


def resample_class(pipe, label, instance, class_id: int, n_samples: int, seed: int) -> np.ndarray:
    """uint8 [S, H, W, 3]: everything random kept fixed except class ``class_id``'s draw."""
    if hasattr(pipe, "resample"):  # GroupDNetPipeline
        return pipe.resample(label, class_id, instance, n_samples=n_samples, seed=seed)[0]
    return _inade_resample(pipe, label, instance, class_id, n_samples, seed)


def _inade_resample(pipe, label, instance, class_id, n_samples, seed) -> np.ndarray:
    """INADE: the start vector and every other instance's noise fixed; class_id's instances redrawn."""
    from ..models import preprocess_input
    from ..pipeline import to_uint8
    inst = _reindexed(instance)
    semantics, _, instances, _ = preprocess_input(
        {"label": np.asarray(label, np.int64)[None, None], "instance": inst[None, None]}, pipe.cfg)
    rng = np.random.default_rng(seed)
    k = instances.shape[1]
    noise = rng.standard_normal((1, k, 2, pipe.cfg.noise_nc), dtype=np.float32)
    noise_ins = paddle.to_tensor(rng.standard_normal((1, pipe.cfg.z_dim), dtype=np.float32))
    ids = [i for i, c in instance_classes(label, inst).items() if c == class_id]
    outs = []
    for _ in range(n_samples):
        fresh = noise.copy()
        fresh[:, ids] = rng.standard_normal((1, len(ids), 2, pipe.cfg.noise_nc), dtype=np.float32)
        with paddle.no_grad(), eval_mode(pipe.netG):
            fake = pipe.netG(semantics, input_instances=instances, noise=paddle.to_tensor(fresh),
                             noise_ins=noise_ins)
        outs.append(to_uint8(fake.numpy())[0])
    return np.stack(outs)


def measure(pipe, layouts, n_samples: int = 8, seed: int = 0) -> dict:
    """layouts: list of (label [H, W], instance [H, W], image). Means over layouts of the
    same-class correlation (and |r|), and of the locality of resampling each layout's largest
    object class (consecutive samples compared)."""
    corrs, inside, outside = [], [], []
    for index, (label, inst, _) in enumerate(layouts):
        inst = _reindexed(inst)
        images = pipe.generate(label, inst, n_samples=n_samples, seed=seed + index)[0]
        classes = instance_classes(label, inst)
        objects = {k: c for k, c in classes.items() if c in OBJECTS}
        corrs += [c for c in same_class_correlation(instance_mean_colours(images, inst), objects)
                  if np.isfinite(c)]
        present = [c for c in OBJECTS if (np.asarray(label) == c).any()]
        if not present:
            continue
        target = max(present, key=lambda c: int((np.asarray(label) == c).sum()))
        series = resample_class(pipe, label, inst, target, n_samples, seed + index)
        region = np.asarray(label) == target
        for before, after in zip(series[:-1], series[1:]):
            share, moved = change_locality(before, after, region)
            if np.isfinite(share):
                inside.append(share)
                outside.append(moved)
    return {"layouts": len(layouts), "samples_per_layout": n_samples,
            "same_class_correlation": _mean(corrs), "same_class_abs_correlation": _mean(np.abs(corrs)),
            "same_class_pairs": len(corrs), "resample_change_inside_class": _mean(inside),
            "resample_pixels_changed_outside": _mean(outside)}


def _mean(values) -> float:
    values = list(values)
    return float(np.mean(values)) if values else float("nan")
