"""FID between two folders of images (Inception-v3 pool features, weights from a file).

    python tools/eval_fid.py REAL_DIR FAKE_DIR --inception_weights pt_inception-2015-12-05-6726825d.pth
    python tools/eval_fid.py REAL_DIR FAKE_DIR --inception_weights W.pth --save_stats real_stats.npz
    python tools/eval_fid.py real_stats.npz FAKE_DIR --inception_weights W.pth     # reuse the real statistics
    python tools/eval_fid.py CITY_REAL CITY_FAKE --inception_weights W.pth --resize_size 256   # 256 x 512

Images are read at their own size (RGB, [0, 1]) and resized to 299 x 299 inside the network,
as the original's fid_score.py (pytorch-fid) does. pytorch-fid's weights file is read
without torch (a zip-format .pth; a pre-1.6 legacy file must be re-saved once with torch).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tools._common  # noqa: E402,F401  (first: Paddle's import noise filtered, CPU set up)


def parse_args(argv=None):
    from paddle_inade.cli import HelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("real", help="folder of images, or a .npz of statistics (mu, sigma)")
    parser.add_argument("fake", help="folder of images, or a .npz of statistics")
    parser.add_argument("--inception_weights", required=True, help="pytorch-fid .pth or a .pdparams")
    parser.add_argument("--resize_size", type=int, default=None,
                        help="resize images to S x 2S first (the original's option, for Cityscapes)")
    parser.add_argument("--batch_size", type=int, default=50)
    parser.add_argument("--dims", type=int, default=2048, choices=[64, 192, 768, 2048],
                        help="feature block (pytorch-fid's --dims; FID is reported with 2048)")
    parser.add_argument("--save_stats", help="also write the first argument's statistics here (.npz)")
    parser.add_argument("--gpu_ids", default="0", help="'-1' for the CPU")
    return parser.parse_args(argv)


def check_inputs(args) -> None:
    """Saved statistics must have --dims features, --save_stats a .npz name: before any work."""
    from paddle_inade.eval.fid import load_statistics
    for path in (args.real, args.fake):
        if path.endswith(".npz"):
            mu, _ = load_statistics(path)
            if mu.shape != (args.dims,):
                raise ValueError(f"{path} holds statistics of {mu.shape[0]}-dim features but --dims is "
                                 f"{args.dims}: pass --dims {mu.shape[0]}, or recompute them from the images")
    if args.save_stats and not args.save_stats.endswith(".npz"):
        raise ValueError(f"--save_stats {args.save_stats}: use a name ending in .npz (statistics are "
                         "recognised by it when read back)")
    if args.batch_size < 1:
        raise ValueError(f"--batch_size {args.batch_size} must be >= 1")


def main(argv=None) -> int:
    args = parse_args(argv)
    from paddle_inade.device import select_device
    from paddle_inade.eval.fid import folder_statistics, frechet_distance, save_statistics
    from paddle_inade.eval.inception import load_inception
    from paddle_inade.io import WeightMismatchError
    try:
        check_inputs(args)
        select_device(args.gpu_ids)
        try:
            net = load_inception(args.inception_weights)
        except WeightMismatchError as exc:
            raise ValueError(f"--inception_weights: {exc}; expected pytorch-fid's "
                             "pt_inception-2015-12-05-6726825d.pth (or a .pdparams saved from it)") from None
        stats = [folder_statistics(net, p, args.batch_size, args.resize_size, args.dims)
                 for p in (args.real, args.fake)]
        fid = frechet_distance(*stats[0], *stats[1])
        if args.save_stats:
            save_statistics(args.save_stats, *stats[0])
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"FID: {fid:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
