"""Class-level (GroupDNet) against instance-level (INADE) diversity on fresh toy layouts.

    python tools/eval_class_vs_instance.py --smis toy_smis --inade toy_inade --n_layouts 20 --n_samples 6

For each model: the correlation between two instances of the same class across samples (|r| near 1:
they move together; near 0: independent), and, resampling one class N with everything else fixed
(SMIS's --test_mask N; INADE: new noise for the instances of N), the share of the pixel change inside
N's region and the share of pixels outside N that changed. Prints a Markdown table (--json: numbers).
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

ROWS = (("same_class_correlation", "r, two instances of a class"),
        ("same_class_abs_correlation", "abs(r)"),
        ("resample_change_inside_class", "resampling class N: change inside N"),
        ("resample_pixels_changed_outside", "resampling class N: pixels changed outside N"))


def main(argv=None) -> int:
    from paddle_inade.cli import HelpFormatter
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--smis", help="a --model smis run under --checkpoints_dir")
    parser.add_argument("--inade", help="an INADE run under --checkpoints_dir")
    parser.add_argument("--checkpoints_dir", default="./checkpoints")
    parser.add_argument("--n_layouts", type=int, default=20)
    parser.add_argument("--n_samples", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    import numpy as np
    from paddle_inade.data.toy_scenes import render_scene
    from paddle_inade.eval.class_vs_instance import measure
    from paddle_inade.pipeline import INADEPipeline
    from paddle_inade.smis.pipeline import GroupDNetPipeline
    if args.n_layouts < 1 or args.n_samples < 2:
        print("error: --n_layouts must be >= 1 and --n_samples >= 2", file=sys.stderr)
        return 2
    reports = {}
    try:
        for title, name, cls in (("GroupDNet", args.smis, GroupDNetPipeline), ("INADE", args.inade, INADEPipeline)):
            if name is None:
                continue
            pipe = cls.from_checkpoint(os.path.join(args.checkpoints_dir, name), device="cpu")
            size = pipe.cfg.image_size[0]
            layouts = [render_scene(np.random.default_rng(10_000 + i), size)[:3] for i in range(args.n_layouts)]
            reports[title] = measure(pipe, layouts, args.n_samples, args.seed)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not reports:
        print("error: pass --smis and/or --inade", file=sys.stderr)
        return 2
    print("| measure | " + " | ".join(reports) + " |")
    print("| --- |" + " --- |" * len(reports))
    for key, text in ROWS:
        print(f"| {text} | " + " | ".join(f"{r[key]:.3f}" for r in reports.values()) + " |")
    print(f"({args.n_layouts} toy layouts, {args.n_samples} samples each; "
          + ", ".join(f"{t}: {r['same_class_pairs']} same-class pairs" for t, r in reports.items()) + ")")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(reports, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
