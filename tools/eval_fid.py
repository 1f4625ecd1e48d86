"""FID between two folders of images (Inception-v3 pool features, weights from a file).

    python tools/eval_fid.py REAL_DIR FAKE_DIR --inception_weights pt_inception-2015-12-05-6726825d.pth

pytorch-fid's weights file is read without torch (or convert it once with
tools/convert_weights.py-style loading: a .pdparams saved by this tool's --save_pdparams).
"""
from __future__ import annotations

import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from paddle_inade.device import set_cpu_threads  # noqa: E402

set_cpu_threads()


def load_folder(folder: str, size: int):
    import cv2
    import numpy as np
    from paddle_inade.data.datasets import IMAGE_EXTS, read_image
    files = sorted(p for p in glob.glob(os.path.join(folder, "*")) if p.lower().endswith(IMAGE_EXTS))
    if len(files) < 2:
        raise ValueError(f"{folder}: needs at least 2 images, found {len(files)}")
    images = [cv2.resize(read_image(p, cv2.IMREAD_COLOR)[..., ::-1], (size, size), interpolation=cv2.INTER_CUBIC)
              for p in files]
    return np.stack(images)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("real")
    parser.add_argument("fake")
    parser.add_argument("--inception_weights", required=True, help="pytorch-fid .pth or a .pdparams")
    parser.add_argument("--resize_size", type=int, default=299, help="images are resized to this first")
    parser.add_argument("--batch_size", type=int, default=16)
    args = parser.parse_args(argv)
    from paddle_inade.eval.fid import frechet_distance, statistics
    from paddle_inade.eval.inception import inception_features, load_inception
    try:
        net = load_inception(args.inception_weights)
        stats = [statistics(inception_features(net, load_folder(f, args.resize_size), args.batch_size))
                 for f in (args.real, args.fake)]
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"FID: {frechet_distance(*stats[0], *stats[1]):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
