"""Measure instance-level diversity of a trained model on fresh toy-scene layouts.

    python tools/eval_diversity.py --name toy_inade --n_layouts 40 --n_samples 8

The diversity part of ``tools/eval_quality.py``'s measure (``paddle_inade.eval.quality``, the
same numbers in the same units, colours in [-1, 1]) on layouts drawn fresh by the toy-scene
generator instead of a dataset split: how much an instance's colour varies over samples against
the data's variety, the |correlation| of two instances of one class over samples (near 0: each
instance has its own style; near 1: one style per class) next to the same with one noise shared
by all instances (a control near 1), and the restyle error against an unrelated sample's.
"""
from __future__ import annotations

import json
import os
import sys

if __package__:  # imported: tools.<name>, or paddle_inade_tools.<name> of an installed package
    from . import _common  # noqa: F401  (first: Paddle's import noise filtered, CPU set up)
else:  # python tools/<name>.py in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tools._common as _common  # noqa: E402,F401

#: (report field, what it is) in the order printed
MEASURES = (("spread_ratio", "instance colour spread / data's (1 = as varied as the data)"),
            ("same_class_abs_r", "same-class |r| over samples (0 = own style per instance)"),
            ("shared_noise_abs_r", "the same with one noise for all instances (control, near 1)"),
            ("restyle_ratio", "restyle error / unrelated sample's (0 = the reference's colour)"),
            ("restyle_error", "restyle error (RGB distance in [-1, 1] units)"),
            ("restyle_baseline", "unrelated sample's error"))


def check_counts(args) -> None:
    """Counts that cannot give a number are refused before any work."""
    if args.n_layouts < 2:
        raise ValueError(f"--n_layouts {args.n_layouts} must be >= 2 (a restyle takes its reference from another layout)")
    if args.n_samples < 3:
        raise ValueError(f"--n_samples {args.n_samples}: the spreads and correlations over samples need "
                         "at least 3 samples per layout")


def main(argv=None) -> int:
    from paddle_inade.cli import HelpFormatter, add_checkpoint_args
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__, formatter_class=HelpFormatter)
    add_checkpoint_args(parser)
    parser.add_argument("--n_layouts", type=int, default=40, help="fresh toy layouts to measure on (>= 2)")
    parser.add_argument("--n_samples", type=int, default=8, help="samples per layout (>= 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args(argv)
    import numpy as np
    from paddle_inade.cli import layout_bar, pipeline_from_args
    from paddle_inade.data.toy_scenes import render_scene
    from paddle_inade.eval.quality import evaluate_quality
    from paddle_inade.files import atomic_write_text
    try:
        check_counts(args)
        pipe = pipeline_from_args(args)
        size = pipe.cfg.image_size[0]
        layouts = [render_scene(np.random.default_rng(10_000 + i), size)[:3] for i in range(args.n_layouts)]
        report = evaluate_quality(pipe, layouts, args.n_samples, args.seed, progress=layout_bar("measuring"))
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    numbers = {"layouts": report.n_layouts, "samples_per_layout": report.n_samples,
               "same_class_pairs": report.same_class_pairs}
    numbers.update({key: getattr(report, key) for key, _ in MEASURES})
    print(f"{report.n_layouts} fresh toy layouts x {report.n_samples} samples, {report.same_class_pairs} same-class pairs")
    for key, text in MEASURES:
        value = numbers[key]
        print(f"{key:20s} {'not measured' if value != value else f'{value:.4f}':>12s}   {text}")
    if args.json:
        atomic_write_text(args.json, json.dumps({k: (None if v != v else v) for k, v in numbers.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
