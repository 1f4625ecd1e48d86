"""Measure instance-level diversity of a trained model on toy-scene layouts.

    python tools/eval_diversity.py --name toy_inade --n_layouts 40 --n_samples 8

Prints (and with --json writes) the object colour spread across samples, the correlation
between two instances of the same class across samples (near 0: independent styles per
instance; near 1: one style per class), and the restyle error against a baseline.
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tools._common  # noqa: E402,F401  (first: Paddle's import noise filtered, CPU set up)


def check_counts(args) -> None:
    """Counts that cannot give a number are refused before any work."""
    if args.n_layouts < 1:
        raise ValueError(f"--n_layouts {args.n_layouts} must be >= 1")
    if args.n_samples < 3:
        raise ValueError(f"--n_samples {args.n_samples}: the spreads and correlations over samples need "
                         "at least 3 samples per layout")


def main(argv=None) -> int:
    from paddle_inade.cli import HelpFormatter, add_checkpoint_args
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__, formatter_class=HelpFormatter)
    add_checkpoint_args(parser)
    parser.add_argument("--n_layouts", type=int, default=40, help="fresh toy layouts to measure on")
    parser.add_argument("--n_samples", type=int, default=8, help="samples per layout (>= 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args(argv)
    import numpy as np
    from paddle_inade.data.toy_scenes import render_scene
    from paddle_inade.eval.diversity_report import evaluate
    from paddle_inade.cli import pipeline_from_args
    from paddle_inade.io import atomic_write_text
    try:
        check_counts(args)
        pipe = pipeline_from_args(args)
        size = pipe.cfg.image_size[0]
        layouts = [render_scene(np.random.default_rng(10_000 + i), size)[:3] for i in range(args.n_layouts)]
        report = evaluate(pipe, layouts, args.n_samples, args.seed)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for key, value in report.items():
        if isinstance(value, float) and value != value:
            print(f"{key:28s} not measured ({NOT_MEASURED.get(key, 'no data')})")
        else:
            print(f"{key:28s} {value:.4f}" if isinstance(value, float) else f"{key:28s} {value}")
    if args.json:
        atomic_write_text(args.json, json.dumps({k: (None if isinstance(v, float) and v != v else v)
                                                 for k, v in report.items()}, indent=1))
    return 0


#: Why a measure can be missing (NaN) for some layouts and models.
NOT_MEASURED = {"object_colour_spread": "no layout had an object instance",
                "same_class_correlation": "no layout had two object instances of one class",
                "same_class_correlation_shared_noise": "no layout had two object instances of one class"}


if __name__ == "__main__":
    sys.exit(main())
