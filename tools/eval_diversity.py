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
from paddle_inade.device import set_cpu_threads  # noqa: E402

set_cpu_threads()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name")
    parser.add_argument("--checkpoints_dir", default="./checkpoints")
    parser.add_argument("--checkpoint", help="generator file instead of --name (with --config/--preset)")
    parser.add_argument("--encoder")
    parser.add_argument("--config")
    parser.add_argument("--preset")
    parser.add_argument("--which_epoch", default="latest")
    parser.add_argument("--n_layouts", type=int, default=40)
    parser.add_argument("--n_samples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args(argv)
    import numpy as np
    from paddle_inade.data.toy_scenes import render_scene
    from paddle_inade.eval.diversity_report import evaluate
    from paddle_inade.pipeline import INADEPipeline
    try:
        source = args.checkpoint or (os.path.join(args.checkpoints_dir, args.name) if args.name else None)
        if source is None:
            raise ValueError("pass --name or --checkpoint")
        pipe = INADEPipeline.from_checkpoint(source, config=args.config, preset=args.preset,
                                             which_epoch=args.which_epoch, encoder=args.encoder, device="-1")
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
