"""Where does a model's texture energy sit: at instance edges or inside instances?

The quality measure's texture energy (``paddle_inade/eval/instance_stats.py``) counts every pair of
neighbouring pixels of one instance, so a soft edge, which spreads a colour step over the pixels
next to the boundary, counts as texture, and so does a generator's artefact along the image's
border. This prints, per class, the mean ``log10`` texture energy of the real and of generated
instances three times: over all pairs (the measure's), over the pairs at least ``--depth`` pixels
inside the instance (what is left without the edges), and of those the pairs at least ``--border``
pixels from the image's edge (without the border too):

    python benchmarks/texture_depth.py --name toy_inade
    python benchmarks/texture_depth.py --name X --checkpoints_dir DIR --n_layouts 20 --depth 2 --border 2

The data options are the run's (``opt.yaml``), with ``--phase val`` (as ``tools/eval_quality.py``).
"""
from __future__ import annotations

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tools")]


def mean_log_energy(stats, min_pixels: int = 16) -> dict[int, float]:
    """{class: mean log10 texture energy} over the instances of ``stats`` (a list of InstanceStats)
    with at least ``min_pixels`` pixels and a pair of pixels inside."""
    from paddle_inade.eval.quality import pool_by_class
    out = {}
    for c, pooled in pool_by_class(stats, min_pixels).items():
        energy = pooled["log_energy"][np.isfinite(pooled["log_energy"])]
        if energy.size:
            out[c] = float(energy.mean())
    return out


def main(argv=None) -> int:
    import tools._common  # noqa: F401  (Paddle's import noise filtered, CPU set up)
    import eval_quality
    from paddle_inade.cli import add_checkpoint_args, pipeline_from_args
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__)
    add_checkpoint_args(parser)
    eval_quality.add_data_args(parser)
    parser.add_argument("--n_layouts", type=int, default=20)
    parser.add_argument("--n_samples", type=int, default=4)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--border", type=int, default=2)
    args = parser.parse_args(argv)
    pipe = pipeline_from_args(args)
    layouts = eval_quality.evaluation_layouts(eval_quality.data_config(args, pipe), args.phase, args.n_layouts)
    fakes = []
    for i, (label, inst, _) in enumerate(layouts):
        fakes.append(pipe.generate(np.repeat(label[None], args.n_samples, 0),
                                   np.repeat(inst[None], args.n_samples, 0), seed=i)[:, 0])
    print(f"mean log10 texture energy, real / generated ({len(layouts)} layouts x {args.n_samples} samples)")
    print(f"{'class':>6}  {'all pairs':>15}  {f'>= {args.depth} px inside':>18}  "
          f"{f'and >= {args.border} px from the border':>31}")
    from paddle_inade.eval.instance_stats import instance_stats
    rows = {}
    for depth, border in ((0, 0), (args.depth, 0), (args.depth, args.border)):
        real = mean_log_energy([instance_stats(img, lab, ins, depth=depth, border=border)
                                for lab, ins, img in layouts])
        fake = mean_log_energy([instance_stats(x, lab, ins, depth=depth, border=border)
                                for (lab, ins, _), xs in zip(layouts, fakes) for x in xs])
        for c in real:
            rows.setdefault(c, []).append(f"{real[c]:6.2f} / {fake.get(c, float('nan')):6.2f}")
    for c in sorted(rows):
        cells = rows[c] + ["(too small)"] * (3 - len(rows[c]))
        print(f"{c:>6}  {cells[0]:>15}  {cells[1]:>18}  {cells[2]:>31}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
