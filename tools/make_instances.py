"""Write re-indexed instance maps into a dataset tree (the original's make_instances.py).

    python tools/make_instances.py --path datasets/ADEChallengeData2016 --dataset ade20k
    python tools/make_instances.py --path datasets/cityscapes --dataset cityscapes

ade20k: annotations/<split>/*.png -> instances/<split>/; celeba: <split>/labels -> <split>/instances;
deepfashion: <split>_mask -> <split>_label and <split>_inst; cityscapes: *_instanceIds.png ->
*_instanceReIds.png. Each map is written under a temporary name and renamed into place.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

if __package__:  # imported: tools.<name>, or paddle_inade_tools.<name> of an installed package
    from . import _common  # noqa: F401  (first: Paddle's import noise filtered, CPU set up)
else:  # python tools/<name>.py in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tools._common as _common  # noqa: E402,F401


def main(argv=None) -> int:
    from paddle_inade.data.make_instances import DATASETS, make_instances
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", required=True, help="root folder of the dataset")
    parser.add_argument("--dataset", default="ade20k", choices=DATASETS, help="layout (default: ade20k)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    try:
        make_instances(args.path, args.dataset, progress=True)
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
