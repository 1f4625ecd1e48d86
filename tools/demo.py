r"""Restyle instances of a layout from a reference photo; writes a montage PNG.

    python tools/demo.py --name toy_inade --label L.png --instance I.png \
        --ref_image R.png --ref_label RL.png --ref_instance RI.png --map 3:4 --map 5:2 --out demo.png

``--map T:S`` gives instance T of the layout the style of instance S of the reference (ids as
in the PNGs); unmapped instances sample from the prior. The montage shows: reference |
reference instances (both scaled to the layout's size) | layout | layout instances | result(s).
``--list`` prints every instance id of the layout and of the reference with its class, size and
centre, and stops (no model is loaded): the ids to give ``--map``.
"""
from __future__ import annotations

import os
import sys

if __package__:  # imported: tools.<name>, or paddle_inade_tools.<name> of an installed package
    from . import _common  # noqa: F401  (first: Paddle's import noise filtered, CPU set up)
else:  # python tools/<name>.py in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tools._common as _common  # noqa: E402,F401


def read_map(path: str):
    """A single-channel PNG of ids -> [H, W] (a colour PNG is an error)."""
    from paddle_inade.data.datasets import read_image
    array = read_image(path)
    if array.ndim != 2:
        raise ValueError(f"{path}: expected a single-channel map of ids, got shape {array.shape}")
    return array


def instance_table(label, inst, title: str) -> str:
    """One line per instance id of ``inst`` [H, W]: its class (the most common label id under
    it), pixel count and centre (x, y)."""
    import numpy as np
    lines = [f"{title}: id  class  pixels  centre (x, y)"]
    for i in np.unique(inst):
        mask = inst == i
        ys, xs = np.nonzero(mask)
        cls = int(np.bincount(label[mask].astype(np.int64)).argmax())
        lines.append(f"  {int(i):4d}  {cls:5d}  {int(mask.sum()):6d}  ({xs.mean():.0f}, {ys.mean():.0f})")
    return "\n".join(lines)


def parse_map(items) -> dict[int, int]:
    """--map T:S items -> {T: S}."""
    mapping = {}
    for item in items:
        target, _, source = item.partition(":")
        if not (target.strip().isdigit() and source.strip().isdigit()):
            raise ValueError(f"--map {item!r}: expected TARGET:SOURCE instance ids, e.g. 3:4")
        mapping[int(target)] = int(source)
    return mapping


def check_out(path: str) -> None:
    """The montage must be writable as an image, checked before any work."""
    import cv2
    if not cv2.haveImageWriter(path):
        raise ValueError(f"--out {path}: not an image name OpenCV can write (use .png or .jpg)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"--out {path}: the folder {folder} does not exist")


def main(argv=None) -> int:
    from paddle_inade.cli import HelpFormatter, add_checkpoint_args
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__, formatter_class=HelpFormatter)
    add_checkpoint_args(parser)
    for key in ("label", "instance", "ref_label", "ref_instance"):
        parser.add_argument(f"--{key}", required=True, help="a single-channel PNG of ids")
    parser.add_argument("--ref_image", help="the reference photo (not needed with --list)")
    parser.add_argument("--map", action="append", default=[],
                        help="T:S: instance T of the layout takes the style of instance S of the reference "
                             "(repeatable; --list shows the ids)")
    parser.add_argument("--list", action="store_true",
                        help="print the instance ids of the layout and of the reference and stop")
    parser.add_argument("--n_samples", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="demo.png", help="the montage (an image file in an existing folder)")
    args = parser.parse_args(argv)
    import cv2
    import numpy as np
    from paddle_inade.cli import pipeline_from_args
    from paddle_inade.pipeline import UnknownInstanceError
    from paddle_inade.data.datasets import read_image
    from paddle_inade.data.visualize import colorize_label, instance_boundaries, make_grid, save_image
    try:
        if args.list:
            label, inst, ref_label, ref_inst = (read_map(getattr(args, k)) for k in
                                                ("label", "instance", "ref_label", "ref_instance"))
            print(instance_table(label, inst, f"layout {args.instance}"))
            print(instance_table(ref_label, ref_inst, f"reference {args.ref_instance}"))
            return 0
        if args.ref_image is None:
            raise ValueError("--ref_image is needed (the photo whose instances give the styles)")
        mapping = parse_map(args.map)
        check_out(args.out)
        if args.n_samples < 1:
            raise ValueError(f"--n_samples {args.n_samples} must be >= 1")
        pipe = pipeline_from_args(args)
        label, inst, ref_label, ref_inst = (read_map(getattr(args, k)) for k in
                                            ("label", "instance", "ref_label", "ref_instance"))
        ref_image = np.ascontiguousarray(read_image(args.ref_image, cv2.IMREAD_COLOR)[..., ::-1])
        try:
            out = pipe.restyle(label, inst, ref_image, ref_label, ref_inst, mapping, seed=args.seed,
                               n_samples=args.n_samples)[0]
        except UnknownInstanceError as exc:
            raise ValueError(f"{exc}; add --list to see each id's class and position") from None
        h, w = label.shape
        ref_views = [cv2.resize(np.ascontiguousarray(v), (w, h), interpolation=cv2.INTER_NEAREST)
                     for v in (ref_image, instance_boundaries(ref_inst, ref_image))]
        row = ref_views + [colorize_label(label, pipe.cfg.label_channels), instance_boundaries(inst)] + list(out)
        save_image(args.out, make_grid([row]))
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
