"""Convert the original's PyTorch weights (.pth) to Paddle (.pdparams), without torch.

    python tools/convert_weights.py --src best_net_G.pth --dst G.pdparams --net G --preset ade20k
    python tools/convert_weights.py --src best_net_E.pth --dst E.pdparams --net E --preset ade20k
    python tools/convert_weights.py --src vgg19-dcbb9e9d.pth --dst vgg19.pdparams --net vgg19
    python tools/convert_weights.py --src G.pth --dst G.pdparams --net G --config opt.yaml --label_nc 5
    python tools/convert_weights.py --model smis --src latest_net_G.pth --dst G.pdparams --net G --preset ade20k

The result loads strictly with ``paddle_inade.weights.load_weights(layer, dst)``.
"""
from __future__ import annotations

import os
import sys

if __package__:  # imported: tools.<name>, or paddle_inade_tools.<name> of an installed package
    from . import _common  # noqa: F401  (first: Paddle's import noise filtered, CPU set up)
else:  # python tools/<name>.py in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tools._common as _common  # noqa: E402,F401


def model_family(argv=None):
    """The model family of ``--model`` (GroupDNet's checkpoints with ``--model smis``); a value of
    no family is left to the parser to refuse."""
    from paddle_inade.families import DEFAULT, family, pre_parse
    from paddle_inade.train_options import MODEL_CONFIGS
    model = pre_parse(argv).model
    return family(model) if model in MODEL_CONFIGS else DEFAULT


def parse_args(argv=None):
    from paddle_inade.convert.convert import NETS
    from paddle_inade.cli import HelpFormatter
    from paddle_inade.train_options import MODEL_CONFIGS
    config_class = model_family(argv).config_class
    from paddle_inade.option_parser import OptionParser, add_fields
    parser = OptionParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--model", choices=tuple(MODEL_CONFIGS), default="inade",
                        help="smis: GroupDNet's checkpoints (SMIS's option names)")
    parser.add_argument("--src", required=True, help="torch checkpoint (.pth)")
    parser.add_argument("--dst", required=True, help="output .pdparams")
    parser.add_argument("--net", required=True, choices=NETS)
    parser.add_argument("--preset", choices=sorted(config_class.presets))
    parser.add_argument("--config", help="options file: YAML (flat or in sections, e.g. a run's opt.yaml) or "
                        "the original's opt.txt")
    add_fields(parser.add_argument_group("model options (override preset/config)"), config_class,
               lambda name, default: f"(default: the preset's or config's, else {default!r})")
    return parser.parse_args(argv)


def model_config(args):
    from paddle_inade.saved_options import read_options_file
    config_class = model_family(["--model", args.model]).config_class
    values = read_options_file(args.config).model if args.config else {}
    given = {k: v for k, v in vars(args).items() if k not in ("src", "dst", "net", "preset", "config", "model")}
    if not (args.preset or values or given):
        return None
    base = config_class.preset(args.preset).to_dict() if args.preset else {}
    return config_class.from_dict({**base, **values, **given}, source=args.config or "options")


def main(argv=None) -> int:
    args = parse_args(argv)
    from paddle_inade.convert.convert import convert_checkpoint
    from paddle_inade.weights import WeightMismatchError
    try:
        try:
            n = convert_checkpoint(args.src, args.dst, args.net, model_config(args),
                                   model_family(["--model", args.model]).networks)
        except WeightMismatchError as exc:
            raise ValueError(f"{exc}. Nothing was written; check --net {args.net} and the model options "
                             "(--preset, --config, or options such as --label_nc)") from None
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.dst}: {n} tensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
