"""Measure instance-level diversity of a trained model on toy-scene layouts.

    python tools/eval_diversity.py --name toy_inade --n_layouts 40 --n_samples 8

Prints (and with --json writes) the object colour spread across samples, the correlation
between two instances of the same class across samples (near 0: independent styles per
instance; near 1: one style per class), and the restyle error against a baseline.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from paddle_inade.device import setup_cpu_process  # noqa: E402

setup_cpu_process()


def main(argv=None) -> int:
    from paddle_inade.cli import add_checkpoint_args
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_checkpoint_args(parser)
    parser.add_argument("--n_layouts", type=int, default=40)
    parser.add_argument("--n_samples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the numbers here")
    parser.add_argument("--gpu_ids", default="0", help="'-1' for the CPU")
    args = parser.parse_args(argv)
    import numpy as np
    from paddle_inade.data.toy_scenes import render_scene
    from paddle_inade.eval.diversity_report import evaluate
    from paddle_inade.cli import pipeline_from_args
    try:
        pipe = pipeline_from_args(args, device=args.gpu_ids)
        size = pipe.cfg.image_size[0]
        layouts = [render_scene(np.random.default_rng(10_000 + i), size)[:3] for i in range(args.n_layouts)]
        report = evaluate(pipe, layouts, args.n_samples, args.seed)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for key, value in report.items():
        print(f"{key:28s} {value:.4f}" if isinstance(value, float) else f"{key:28s} {value}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
