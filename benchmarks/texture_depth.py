"""Where does a model's texture energy sit: at instance edges or inside instances?

The quality measure's texture energy (``paddle_inade/eval/instance_stats.py``) counts every pair of
neighbouring pixels of one instance, so a soft edge, which spreads a colour step over the pixels
next to the boundary, counts as texture. This prints, per class, the mean ``log10`` texture energy
of the real and of generated instances twice: over all pairs (the measure's), and over the pairs
at least ``--depth`` pixels inside the instance (what is left without the edges):

    python benchmarks/texture_depth.py --name toy_inade
    python benchmarks/texture_depth.py --name X --checkpoints_dir DIR --n_layouts 20 --depth 2

The data options are the run's (``opt.yaml``), with ``--phase val`` (as ``tools/eval_quality.py``).
"""
from __future__ import annotations

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tools")]


def inner_mask(inst: np.ndarray, k: int, depth: int) -> np.ndarray:
    """[H, W] bool: pixels of instance ``k`` at least ``depth`` pixels (chessboard) from any other."""
    import cv2
    mask = (inst == k).astype(np.uint8)
    if depth:
        mask = cv2.erode(mask, np.ones((2 * depth + 1,) * 2, np.uint8), borderType=cv2.BORDER_REPLICATE)
    return mask.astype(bool)


def log_energies(image: np.ndarray, label: np.ndarray, inst: np.ndarray, depth: int,
                 min_pairs: int = 16) -> dict[int, list[float]]:
    """{class: [log10(1e-4 + mean squared neighbour difference)] per instance} over the pairs of
    pixels both ``depth`` or more inside their instance (``depth`` 0: the quality measure's)."""
    rgb = image.astype(np.float64) / 127.5 - 1.0
    out: dict[int, list[float]] = {}
    for k in np.unique(inst):
        mask = inner_mask(inst, k, depth)
        total, pairs = 0.0, 0
        for a, b, ma, mb in ((rgb[:, 1:], rgb[:, :-1], mask[:, 1:], mask[:, :-1]),
                             (rgb[1:], rgb[:-1], mask[1:], mask[:-1])):
            both = ma & mb
            total += ((a - b) ** 2).mean(-1)[both].sum()
            pairs += int(both.sum())
        if pairs >= min_pairs:
            cls = int(np.bincount(label[inst == k]).argmax())
            out.setdefault(cls, []).append(float(np.log10(1e-4 + total / pairs)))
    return out


def _pool(dicts) -> dict[int, float]:
    pooled: dict[int, list[float]] = {}
    for d in dicts:
        for c, v in d.items():
            pooled.setdefault(c, []).extend(v)
    return {c: float(np.mean(v)) for c, v in pooled.items()}


def main(argv=None) -> int:
    import tools._common  # noqa: F401  (Paddle's import noise filtered, CPU set up)
    import eval_quality
    from paddle_inade.cli import add_checkpoint_args, pipeline_from_args
    from paddle_inade.data import create_dataset
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__)
    add_checkpoint_args(parser)
    parser.add_argument("--dataset_mode", help="default: the run's")
    parser.add_argument("--dataroot", help="default: the run's")
    parser.add_argument("--phase", default="val")
    parser.add_argument("--n_layouts", type=int, default=20)
    parser.add_argument("--n_samples", type=int, default=4)
    parser.add_argument("--depth", type=int, default=2)
    args = parser.parse_args(argv)
    pipe = pipeline_from_args(args)
    layouts = eval_quality._layouts(create_dataset(eval_quality._data_config(args, pipe)(args.phase)),
                                    args.n_layouts, f"--phase {args.phase}")
    fakes = []
    for i, (label, inst, _) in enumerate(layouts):
        fakes.append(pipe.generate(np.repeat(label[None], args.n_samples, 0),
                                   np.repeat(inst[None], args.n_samples, 0), seed=i)[:, 0])
    print(f"mean log10 texture energy, real / generated ({len(layouts)} layouts x {args.n_samples} samples)")
    print(f"{'class':>6}  {'all pairs':>15}  {f'>= {args.depth} px inside':>18}")
    rows = {}
    for depth in (0, args.depth):
        real = _pool(log_energies(img, lab, ins, depth) for lab, ins, img in layouts)
        fake = _pool(log_energies(x, lab, ins, depth) for (lab, ins, _), xs in zip(layouts, fakes) for x in xs)
        for c in real:
            rows.setdefault(c, []).append(f"{real[c]:6.2f} / {fake.get(c, float('nan')):6.2f}")
    for c in sorted(rows):
        cells = rows[c] + ["(too small)"] * (2 - len(rows[c]))
        print(f"{c:>6}  {cells[0]:>15}  {cells[1]:>18}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
