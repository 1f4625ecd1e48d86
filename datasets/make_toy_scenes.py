"""Generate the toy scenes (the built-in default data) into a folder.

    python datasets/make_toy_scenes.py --root datasets/toy_scenes --n_images 300 --size 64 --seed 0

`python tools/train.py` does this by itself on first use (into ~/.cache/paddle_inade).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    from tqdm import tqdm
    from paddle_inade.data.toy_scenes import write_toy_dataset
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default="datasets/toy_scenes")
    parser.add_argument("--n_images", type=int, default=300)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    n_val = max(8, args.n_images // 10)
    try:
        with tqdm(total=args.n_images + n_val, desc="toy scenes") as bar:
            root = write_toy_dataset(args.root, args.n_images, args.size, args.seed, args.overwrite,
                                     progress=bar.update)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"toy scenes in {os.path.abspath(root)} (train with: python tools/train.py --dataroot {root})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
