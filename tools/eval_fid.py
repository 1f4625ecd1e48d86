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

import os
import sys

if __package__:  # imported: tools.<name>, or paddle_inade_tools.<name> of an installed package
    from . import _common  # noqa: F401  (first: Paddle's import noise filtered, CPU set up)
else:  # python tools/<name>.py in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tools._common as _common  # noqa: E402,F401


def parse_args(argv=None):
    from paddle_inade.cli import HelpFormatter
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("real", help="folder of images, or a .npz of statistics (mu, sigma)")
    parser.add_argument("fake", help="folder of images, or a .npz of statistics")
    parser.add_argument("--inception_weights", required=True, help="pytorch-fid .pth or a .pdparams")
    parser.add_argument("--resize_size", type=int, default=-1,
                        help="resize images to S x 2S first (the original's option, for Cityscapes; -1: no)")
    parser.add_argument("--batch_size", "--batch-size", type=int, default=50)
    parser.add_argument("--dims", type=int, default=2048, choices=[64, 192, 768, 2048],
                        help="feature block (pytorch-fid's --dims; FID is reported with 2048)")
    parser.add_argument("--save_stats", help="also write the first argument's statistics here (.npz)")
    parser.add_argument("--gpu_ids", default="0", help="'-1' for the CPU")
    original = parser.add_argument_group("the original fid_score.py's options")
    original.add_argument("-c", "--gpu", default=None, help="GPU to use ('' = the CPU); overrides --gpu_ids")
    original.add_argument("--load_np_name", default="", help=f"read the real statistics from "
                          f"{NP_ROOT}/<name>/m.npy and s.npy instead of the first folder")
    original.add_argument("--save_np_name", default="", help=f"also write the real statistics to {NP_ROOT}/<name>/")
    args = parser.parse_args(argv)
    if args.gpu is not None:
        args.gpu_ids = args.gpu if args.gpu.strip() else "-1"
    if args.resize_size is not None and args.resize_size <= 0:
        args.resize_size = None
    return args


#: Where the original's fid_score.py keeps statistics by name (relative to the working folder).
NP_ROOT = os.path.join(".", "datasets", "train_mu_si")


def check_inputs(args) -> None:
    """Saved statistics must have --dims features, --save_stats a .npz name: before any work."""
    from paddle_inade.eval.fid import load_named_statistics, load_statistics
    stored = {path: lambda p=path: load_statistics(p) for path in (args.real, args.fake) if path.endswith(".npz")}
    if args.load_np_name:
        stored.pop(args.real, None)
        stored[os.path.join(NP_ROOT, args.load_np_name)] = lambda: load_named_statistics(NP_ROOT, args.load_np_name)
    for path, load in stored.items():
        mu, _ = load()
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
    from paddle_inade.eval.fid import (folder_statistics, frechet_distance, load_named_statistics,
                                       save_named_statistics, save_statistics)
    from paddle_inade.eval.inception import load_inception
    from paddle_inade.weights import WeightMismatchError
    try:
        check_inputs(args)
        select_device(args.gpu_ids)
        try:
            net = load_inception(args.inception_weights)
        except WeightMismatchError as exc:
            raise ValueError(f"--inception_weights: {exc}; expected pytorch-fid's "
                             "pt_inception-2015-12-05-6726825d.pth (or a .pdparams saved from it)") from None
        if args.load_np_name:
            print(f"note: real statistics from {NP_ROOT}/{args.load_np_name}/ (--load_np_name); "
                  f"{args.real} is not read", file=sys.stderr)
            real = load_named_statistics(NP_ROOT, args.load_np_name)
        else:
            real = folder_statistics(net, args.real, args.batch_size, args.resize_size, args.dims)
        stats = [real, folder_statistics(net, args.fake, args.batch_size, args.resize_size, args.dims)]
        fid = frechet_distance(*stats[0], *stats[1])
        if args.save_stats:
            save_statistics(args.save_stats, *stats[0])
        if args.save_np_name:
            save_named_statistics(NP_ROOT, args.save_np_name, *stats[0])
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"FID: {fid:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
