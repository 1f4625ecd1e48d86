r"""AdaIN style transfer with pytorch-AdaIN's test.py options (and its output names).

    python tools/style_transfer.py --content input/content/cornell.jpg --style input/style/woman_with_hat_matisse.jpg
    python tools/style_transfer.py --content_dir input/content --style_dir input/style
    python tools/style_transfer.py --content input/content/avril.jpg \
        --style a.jpg,b.jpg,c.jpg,d.jpg --style_interpolation_weights 1,1,1,1 --crop
    python tools/style_transfer.py --content c.jpg --style a.jpg,b.jpg --mask mask.png     # spatial control

--vgg / --decoder (default models/vgg_normalised.pth, models/decoder.pth): the released files of
github.com/naoto0804/pytorch-AdaIN (read without PyTorch), or .pdparams (a decoder trained by
tools/train_adain.py, AdaINPipeline.save_pretrained).
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
    from paddle_inade.adain import AdaINPipeline
    from paddle_inade.adain.style_transfer import build_parser, run
    from paddle_inade.convert import CheckpointFormatError, UnsafeCheckpointError
    args = build_parser(__doc__).parse_args(argv)
    try:
        written = run(args, lambda vgg, decoder, impl: AdaINPipeline.from_pretrained(vgg=vgg, decoder=decoder, impl=impl),
                      report=lambda path: print(f"wrote {path}"))
    except (ValueError, FileNotFoundError, CheckpointFormatError, UnsafeCheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(written)} image(s) in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
