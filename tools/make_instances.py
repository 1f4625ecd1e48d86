"""Write re-indexed instance maps for a dataset (the original's make_instances.py).

    python tools/make_instances.py --path datasets/ADEChallengeData2016 --dataset ade20k
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    from paddle_inade.data.make_instances import DATASETS, make_instances
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", required=True, help="root of the dataset")
    parser.add_argument("--dataset", default="ade20k", choices=DATASETS)
    args = parser.parse_args(argv)
    try:
        n = make_instances(args.path, args.dataset, progress=True)
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {n} files under {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
