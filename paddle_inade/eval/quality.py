"""How good and how instance-diverse are a model's images? Numbers for any dataset with instance maps.

For a set of evaluation layouts (label map, instance map, real photo), the model draws ``S``
prior samples of every layout, and (with an encoder) restyles and reconstructs it. Per
instance the colour and texture statistics of :mod:`.instance_stats` are compared:

* ``colour_distance`` (per class and the mean over classes): the 1-D Wasserstein distance between
  the real and the generated distributions of per-instance mean colours, per RGB channel
  (colours in [-1, 1]), averaged over channels. 0 = the same distribution; a generator that
  paints every region mid-grey scores the mean absolute colour of the data (about 0.45 on the toy
  scenes). ``texture_distance``: the same on ``log10`` texture energy.
* ``*_floor``: the same distances between two sets of *real* images (``reference`` layouts, e.g.
  training scenes, against the evaluation layouts): what sampling alone costs. A model cannot
  be expected to go below it.
* ``spread_ratio``: per class, the mean over instances of the standard deviation over samples of
  an instance's mean colour, divided by the standard deviation of the real instances' mean
  colours of that class (both RGB averaged); averaged over classes. 1 = each instance varies as
  much as the class does in the data; 0 = the noise changes nothing.
* ``same_class_abs_r``: the mean absolute correlation, over samples, of the mean colours of two
  instances of the same class in one layout (INADE: near 0, independent styles; a class-level
  style: near 1). ``shared_noise_abs_r``: the same with one noise shared by all instances (the
  class-level control, which should be near 1).
* ``restyle_error``: every instance of a layout restyled from a same-class instance of another
  layout's real photo (the next layout): the distance between the restyled instance's mean colour
  and the reference instance's (Euclidean over RGB in [-1, 1]). ``restyle_baseline``: the same
  distance for the instance in the prior samples (an unrelated sample); ``restyle_ratio`` =
  error / baseline (1 = the reference is ignored, 0 = exact).
* ``reconstruction_error``: the same distance between each instance of the image generated from
  its own encoded photo and the photo (``reconstruction_baseline``: prior samples against the
  photo), and ``reconstruction_l1``: the mean absolute pixel difference.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field
from typing import Optional, Sequence

import numpy as np
from scipy.stats import wasserstein_distance

from .instance_stats import InstanceStats, instance_stats, to_unit_range

Layout = tuple  # (label [H, W] int, instance [H, W] ids 0..K-1, image uint8 [H, W, 3])


@dataclass
class QualityReport:
    """The measurements of :func:`evaluate_quality` (see the module doc); NaN where not measured."""

    n_layouts: int
    n_samples: int
    colour_distance: float
    texture_distance: float
    spread_ratio: float
    same_class_abs_r: float
    same_class_pairs: int
    shared_noise_abs_r: float = math.nan
    colour_floor: float = math.nan
    texture_floor: float = math.nan
    restyle_error: float = math.nan
    restyle_baseline: float = math.nan
    restyle_ratio: float = math.nan
    reconstruction_error: float = math.nan
    reconstruction_baseline: float = math.nan
    reconstruction_l1: float = math.nan
    per_class: dict = field(default_factory=dict)

    def scalars(self) -> dict[str, float]:
        """The headline numbers (for VisualDL), finite ones only."""
        out = {k: float(v) for k, v in asdict(self).items()
               if isinstance(v, (int, float)) and k not in ("n_layouts", "n_samples", "same_class_pairs")}
        out["colour_distance_max"] = max((c["colour"] for c in self.per_class.values()), default=math.nan)
        return {k: v for k, v in out.items() if math.isfinite(v)}

    def format(self, per_class: bool = True) -> str:
        """A plain-text table of every number, floors beside the distances (``per_class=False``:
        the headline lines only)."""
        def f(v):
            return "   n/a" if not math.isfinite(v) else f"{v:6.3f}"
        lines = [f"{self.n_layouts} layouts x {self.n_samples} prior samples",
                 f"colour distance (W1, mean over classes)  {f(self.colour_distance)}   real-vs-real floor {f(self.colour_floor)}",
                 f"texture distance (W1 of log10 energy)    {f(self.texture_distance)}   real-vs-real floor {f(self.texture_floor)}",
                 f"instance colour spread / data's          {f(self.spread_ratio)}   (1 = as varied as the data)",
                 f"same-class |r| over samples              {f(self.same_class_abs_r)}   ({self.same_class_pairs} pairs; "
                 f"one shared noise: {f(self.shared_noise_abs_r)})",
                 f"restyle error / unrelated sample         {f(self.restyle_ratio)}   ({f(self.restyle_error)} vs {f(self.restyle_baseline)})",
                 f"reconstruction error / prior sample      {f(self.reconstruction_error / self.reconstruction_baseline)}   "
                 f"({f(self.reconstruction_error)} vs {f(self.reconstruction_baseline)}; pixel L1 {f(self.reconstruction_l1)})",
                 "per class:            colour  (floor)   texture (floor)   spread gen / data"]
        if not per_class:
            return "\n".join(lines[:-1])
        for name, c in self.per_class.items():
            lines.append(f"  {name:18s} {f(c['colour'])} ({f(c.get('colour_floor', math.nan))})  {f(c['texture'])} "
                         f"({f(c.get('texture_floor', math.nan))})  {f(c['spread_generated'])} / {f(c['spread_data'])}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------ pooling
def pool_by_class(stats: Sequence[InstanceStats], min_pixels: int) -> dict[int, dict[str, np.ndarray]]:
    """{class: {'mean': [n, 3], 'log_energy': [n]}} over the valid instances of ``stats``."""
    pooled: dict[int, dict[str, list]] = {}
    for s in stats:
        for k in np.flatnonzero(s.valid(min_pixels)):
            entry = pooled.setdefault(int(s.classes[k]), {"mean": [], "log_energy": []})
            entry["mean"].append(s.mean[k])
            entry["log_energy"].append(s.log_energy[k])
    return {c: {"mean": np.array(v["mean"]), "log_energy": np.array(v["log_energy"])} for c, v in pooled.items()}


def distribution_distances(real: dict, fake: dict) -> dict[int, tuple[float, float]]:
    """{class: (colour W1 averaged over RGB, texture W1)} for the classes present in both."""
    out = {}
    for c in sorted(set(real) & set(fake)):
        colour = float(np.mean([wasserstein_distance(real[c]["mean"][:, ch], fake[c]["mean"][:, ch])
                                for ch in range(3)]))
        r_e, f_e = real[c]["log_energy"], fake[c]["log_energy"]
        r_e, f_e = r_e[np.isfinite(r_e)], f_e[np.isfinite(f_e)]
        texture = float(wasserstein_distance(r_e, f_e)) if r_e.size and f_e.size else math.nan
        out[c] = (colour, texture)
    return out


def _abs_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """|Pearson r| of two [S, 3] colour series, channels centred separately and pooled."""
    a = a - a.mean(axis=0, keepdims=True)
    b = b - b.mean(axis=0, keepdims=True)
    denom = math.sqrt(float((a * a).sum() * (b * b).sum()))
    return abs(float((a * b).sum()) / denom) if denom > 0 else math.nan


def same_class_abs_r(samples: Sequence[InstanceStats], min_pixels: int) -> list[float]:
    """|r| over samples for every pair of valid same-class instances of one layout's samples."""
    first = samples[0]
    ids = [k for k in np.flatnonzero(first.valid(min_pixels))]
    means = np.stack([s.mean for s in samples])  # [S, K, 3]
    out = []
    for i, j in itertools.combinations(ids, 2):
        if first.classes[i] == first.classes[j]:
            r = _abs_correlation(means[:, i], means[:, j])
            if math.isfinite(r):
                out.append(r)
    return out


# --------------------------------------------------------------------------------- generation
def _repeat(array: np.ndarray, n: int) -> np.ndarray:
    return np.repeat(np.asarray(array)[None], n, axis=0)


def _sample_stats(images: np.ndarray, label, inst) -> list[InstanceStats]:
    """images uint8 [S, H, W, 3] of one layout -> one InstanceStats per sample."""
    k = int(np.asarray(inst).max()) + 1
    return [instance_stats(img, label, inst, k) for img in images]


def _restyle_mapping(layout_stats: InstanceStats, ref_stats: InstanceStats, min_pixels: int) -> dict[int, int]:
    """Each valid instance of the layout -> the largest valid instance of its class in the reference."""
    mapping = {}
    for t in np.flatnonzero(layout_stats.valid(min_pixels)):
        same = [s for s in np.flatnonzero(ref_stats.valid(min_pixels)) if ref_stats.classes[s] == layout_stats.classes[t]]
        if same:
            mapping[int(t)] = int(max(same, key=lambda s: ref_stats.pixels[s]))
    return mapping


def _colour_error(generated: Sequence[InstanceStats], targets: dict[int, np.ndarray]) -> float:
    """Mean Euclidean RGB distance between each target instance's generated mean and its colour."""
    return float(np.mean([np.linalg.norm(s.mean[t] - colour) for s in generated for t, colour in targets.items()]))


def evaluate_quality(pipe, layouts: Sequence[Layout], n_samples: int = 16, seed: int = 0,
                     reference: Optional[Sequence[Layout]] = None, min_pixels: int = 16,
                     n_restyle: int = 4, class_names: Optional[dict] = None, progress=None) -> QualityReport:
    """Measure ``pipe`` (an :class:`~paddle_inade.pipeline.INADEPipeline`) on ``layouts``.

    Args:
        layouts: (label [H, W], instance [H, W] ids 0..K-1, image uint8 [H, W, 3]) at the model's size.
        n_samples: prior samples per layout (S). seed: layout ``i`` uses ``seed + i``.
        reference: other real layouts for the real-vs-real floor (None: no floor).
        min_pixels: smaller instances are left out of every statistic.
        n_restyle: samples per layout for the restyle and the reconstruction (with an encoder).
        class_names: {class id: name} for the per-class table.
        progress: wraps the loop over layouts (e.g. ``functools.partial(tqdm, unit="layout")``).
    """
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2 (a spread and a correlation need two samples), got {n_samples}")
    if len(layouts) < 2:
        raise ValueError(f"need at least 2 evaluation layouts (restyle takes its reference from another), got {len(layouts)}")
    real = [instance_stats(img, lab, inst) for lab, inst, img in layouts]
    fake, spreads, pairs, shared_pairs = [], {}, [], []
    restyle, restyle_base, recon, recon_base, recon_l1 = [], [], [], [], []
    encoder = getattr(pipe, "netE", None) is not None and pipe.cfg.is_inade
    for i, (label, inst, image) in enumerate(layouts if progress is None else progress(layouts)):
        samples = _sample_stats(pipe.generate(_repeat(label, n_samples), _repeat(inst, n_samples),
                                              seed=seed + i)[:, 0], label, inst)
        fake += samples
        means = np.stack([s.mean for s in samples])  # [S, K, 3]
        for k in np.flatnonzero(real[i].valid(min_pixels)):
            spreads.setdefault(int(real[i].classes[k]), []).append(float(np.std(means[:, k], axis=0).mean()))
        pairs += same_class_abs_r(samples, min_pixels)
        if pipe.cfg.is_inade:
            shared = pipe.generate(_repeat(label, n_samples), _repeat(inst, n_samples), seed=seed + i,
                                   shared_noise=True)[:, 0]
            shared_pairs += same_class_abs_r(_sample_stats(shared, label, inst), min_pixels)
        if encoder:
            ref_label, ref_inst, ref_image = layouts[(i + 1) % len(layouts)]
            ref_stats = real[(i + 1) % len(layouts)]
            mapping = _restyle_mapping(real[i], ref_stats, min_pixels)
            if mapping:
                out = pipe.restyle(_repeat(label, n_restyle), _repeat(inst, n_restyle), ref_image, ref_label,
                                   ref_inst, mapping, seed=seed + i)[:, 0]
                targets = {t: ref_stats.mean[s] for t, s in mapping.items()}
                restyle.append(_colour_error(_sample_stats(out, label, inst), targets))
                restyle_base.append(_colour_error(samples, targets))
            own = {int(k): real[i].mean[k] for k in np.flatnonzero(real[i].valid(min_pixels))}
            rec = pipe.generate(_repeat(label, n_restyle), _repeat(inst, n_restyle), seed=seed + i,
                                image=_repeat(image, n_restyle))[:, 0]
            recon.append(_colour_error(_sample_stats(rec, label, inst), own))
            recon_base.append(_colour_error(samples, own))
            recon_l1.append(float(np.abs(to_unit_range(rec[0]) - to_unit_range(image)).mean()))
    return _report(real, fake, spreads, pairs, shared_pairs, (restyle, restyle_base, recon, recon_base, recon_l1),
                   reference, min_pixels, len(layouts), n_samples, class_names or {})


def _mean(values) -> float:
    values = [v for v in values if math.isfinite(v)]
    return float(np.mean(values)) if values else math.nan


def _report(real, fake, spreads, pairs, shared_pairs, encoder_lists, reference, min_pixels, n_layouts,
            n_samples, class_names) -> QualityReport:
    real_pool = pool_by_class(real, min_pixels)
    dist = distribution_distances(real_pool, pool_by_class(fake, min_pixels))
    floor = {}
    if reference is not None:
        ref_stats = [instance_stats(img, lab, inst) for lab, inst, img in reference]
        floor = distribution_distances(pool_by_class(ref_stats, min_pixels), real_pool)
    per_class = {}
    for c, (colour, texture) in dist.items():
        data_spread = float(np.std(real_pool[c]["mean"], axis=0).mean()) if len(real_pool[c]["mean"]) > 1 else math.nan
        entry = {"colour": colour, "texture": texture, "spread_generated": _mean(spreads.get(c, [])),
                 "spread_data": data_spread}
        if c in floor:
            entry["colour_floor"], entry["texture_floor"] = floor[c]
        per_class[class_names.get(c, str(c))] = entry
    ratios = [e["spread_generated"] / e["spread_data"] for e in per_class.values() if e["spread_data"] > 0]
    restyle, restyle_base, recon, recon_base, recon_l1 = encoder_lists
    report = QualityReport(
        n_layouts=n_layouts, n_samples=n_samples,
        colour_distance=_mean([e["colour"] for e in per_class.values()]),
        texture_distance=_mean([e["texture"] for e in per_class.values()]),
        spread_ratio=_mean(ratios), same_class_abs_r=_mean(pairs), same_class_pairs=len(pairs),
        shared_noise_abs_r=_mean(shared_pairs),
        colour_floor=_mean([e.get("colour_floor", math.nan) for e in per_class.values()]),
        texture_floor=_mean([e.get("texture_floor", math.nan) for e in per_class.values()]),
        restyle_error=_mean(restyle), restyle_baseline=_mean(restyle_base),
        reconstruction_error=_mean(recon), reconstruction_baseline=_mean(recon_base),
        reconstruction_l1=_mean(recon_l1), per_class=per_class)
    report.restyle_ratio = report.restyle_error / report.restyle_baseline if restyle else math.nan
    return report
