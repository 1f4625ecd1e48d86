"""Export a trained generator with paddle.jit.save for a fixed batch, size and instance count.

    python tools/export.py --name toy_inade --out exported/toy_G --n_instances 16
    python tools/export.py --checkpoint ade20k_G.pdparams --preset ade20k --out exported/ade_G

Load it with ``paddle.jit.load(out)`` and call it with (input_semantics, input_instances,
noise, noise_ins) for INADE; see the README for Paddle Inference's status on the CPU.
"""
from __future__ import annotations

import os
import sys

if __package__:  # imported: tools.<name>, or paddle_inade_tools.<name> of an installed package
    from . import _common  # noqa: F401  (first: Paddle's import noise filtered, CPU set up)
else:  # python tools/<name>.py in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tools._common as _common  # noqa: E402,F401


def main(argv=None) -> int:
    from paddle_inade.cli import HelpFormatter, add_checkpoint_args
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__, formatter_class=HelpFormatter)
    add_checkpoint_args(parser)
    parser.add_argument("--out", required=True, help="path prefix of the exported files")
    parser.add_argument("--batch", type=int, default=1, help="batch size N of the inputs")
    parser.add_argument("--n_instances", type=int, default=32,
                        help="instance channels K of the inputs: the most instances a layout may have")
    args = parser.parse_args(argv)
    quiet_native_stderr = _common.quiet_native_stderr
    from paddle_inade.cli import pipeline_from_args
    from paddle_inade.export import export_generator
    try:
        for option in ("batch", "n_instances"):
            if getattr(args, option) < 1:
                raise ValueError(f"--{option} {getattr(args, option)} must be >= 1")
        pipe = pipeline_from_args(args)
        with quiet_native_stderr():
            specs = export_generator(pipe.netG, pipe.cfg, args.out, args.batch, args.n_instances)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}.json / .pdiparams; inputs: " + ", ".join(f"{s.name} {list(s.shape)}" for s in specs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
