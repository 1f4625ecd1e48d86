"""The diversity measurements over toy-scene layouts (what tools/eval_diversity.py prints)."""
from __future__ import annotations

import numpy as np

from ..data.toy_scenes import OBJECTS
from .diversity import (instance_classes, instance_mean_colours, restyle_error, same_class_correlation,
                        spread)


def evaluate(pipe, layouts, n_samples: int = 8, seed: int = 0) -> dict:
    """layouts: list of (label [H, W], instance [H, W], image uint8 [H, W, 3]).

    Returns the mean object-instance colour spread, the mean same-class correlation
    (object classes) with per-instance noise and, as a control, with one noise shared by
    all instances (class-level styles, which should correlate near 1), and, with an
    encoder, the mean restyle error (each layout's first object restyled from the next
    layout's first object of the same class) next to the error of an unrelated prior
    sample as a baseline.
    """
    spreads, corrs, shared_corrs, errors, baselines = [], [], [], [], []
    for index, (label, inst, image) in enumerate(layouts):
        images = pipe.generate(label, inst, n_samples=n_samples, seed=seed + index)[0]
        means = instance_mean_colours(images, inst)
        classes = instance_classes(label, inst)
        objects = {k: c for k, c in classes.items() if c in OBJECTS}
        spreads += [float(s) for k, s in enumerate(spread(means)) if k in objects]
        corrs += [c for c in same_class_correlation(means, objects) if np.isfinite(c)]
        shared = pipe.generate(label, inst, n_samples=n_samples, seed=seed + index, shared_noise=True)[0]
        shared_corrs += [c for c in same_class_correlation(instance_mean_colours(shared, inst), objects)
                         if np.isfinite(c)]
        if pipe.netE is not None and objects:
            _restyle(pipe, layouts, index, objects, seed, errors, baselines, images)
    report = {"layouts": len(layouts), "samples_per_layout": n_samples,
              "object_colour_spread": float(np.mean(spreads)) if spreads else float("nan"),
              "same_class_correlation": float(np.mean(corrs)) if corrs else float("nan"),
              "same_class_pairs": len(corrs),
              "same_class_correlation_shared_noise": float(np.mean(shared_corrs)) if shared_corrs else float("nan")}
    if errors:
        report["restyle_error"] = float(np.mean(errors))
        report["unrelated_sample_error"] = float(np.mean(baselines))
    return report


def _restyle(pipe, layouts, index, objects, seed, errors, baselines, images):
    label, inst, _ = layouts[index]
    target = min(objects)
    for ref_label, ref_inst, ref_image in layouts[index + 1:] + layouts[:index]:
        ref_objects = {k: c for k, c in instance_classes(ref_label, ref_inst).items() if c == objects[target]}
        if ref_objects:
            source = min(ref_objects)
            out = pipe.restyle(label, inst, ref_image, ref_label, ref_inst, {target: source}, seed=seed)[0, 0]
            errors.append(restyle_error(out, inst, target, ref_image, ref_inst, source))
            baselines.append(restyle_error(images[0], inst, target, ref_image, ref_inst, source))
            return
