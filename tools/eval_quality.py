"""Measure how realistic and how instance-diverse a model's images are (any dataset with instance maps).

    python tools/eval_quality.py --name toy_inade                       # the toy run: its validation scenes
    python tools/eval_quality.py --checkpoint G.pdparams --encoder E.pdparams --preset ade20k \\
        --dataset_mode ade20k --dataroot datasets/ADEChallengeData2016 --n_layouts 50

Prints per-class distances between the generated and the real distributions of per-instance mean
colour and texture energy with their real-vs-real floor (``--reference_phase`` scenes against the
evaluation scenes), the instance colour spread relative to the data's, the same-class correlation
(with the shared-noise control), and with an encoder the restyle and reconstruction errors against
prior samples. What each number means: ``paddle_inade/eval/quality.py`` and docs_quality.md.
The data options default to the run's saved ones (``opt.yaml``), with ``--phase val``.
"""
from __future__ import annotations

import json
import os
import sys

if __package__:  # imported: tools.<name>, or paddle_inade_tools.<name> of an installed package
    from . import _common  # noqa: F401  (first: Paddle's import noise filtered, CPU set up)
else:  # python tools/<name>.py in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tools._common as _common  # noqa: E402,F401


def data_config(args, pipe):
    """phase -> the evaluation DataConfig: the run's saved data options (read once), then the
    command line (:func:`add_data_args`)."""
    from paddle_inade.data import DataConfig
    saved = {}
    if args.name and not args.checkpoint:
        from paddle_inade.saved_options import read_saved_options
        options = read_saved_options(os.path.join(args.checkpoints_dir, args.name))
        if options is not None:
            saved = dict(options.data)
    mode = args.dataset_mode or saved.get("dataset_mode")
    if mode is None:
        raise ValueError("no dataset: pass --dataset_mode (and --dataroot), or --name of a run that saved them")
    keep = {k: v for k, v in saved.items() if k not in ("phase", "is_train", "max_dataset_size", "serial_batches")
            and saved.get("dataset_mode") == mode}
    given = {k: v for k, v in (("dataroot", args.dataroot),) if v is not None}
    model = {"label_nc": pipe.cfg.label_nc, "contain_dontcare_label": pipe.cfg.contain_dontcare_label,
             "crop_size": pipe.cfg.crop_size, "aspect_ratio": pipe.cfg.aspect_ratio}
    return lambda phase: DataConfig.for_dataset(mode, phase, **{**keep, **given, **model, "no_flip": True,
                                                               "is_train": False})


def _layouts(dataset, count: int, name: str):
    from paddle_inade.data.visualize import to_uint8_image
    if len(dataset) == 0:
        raise ValueError(f"the {name} scenes are empty")
    items = [dataset[i] for i in range(min(count, len(dataset)))]
    return [(s["label"][0], s["instance"][0], to_uint8_image(s["image"])) for s in items]


def add_data_args(parser):
    """The evaluation scenes' options (--dataset_mode, --dataroot, --phase); returns their group."""
    data = parser.add_argument_group("data")
    data.add_argument("--dataset_mode", help="default: the run's")
    data.add_argument("--dataroot", help="default: the run's")
    data.add_argument("--phase", default="val", help="the evaluation scenes")
    return data


def evaluation_layouts(config, phase: str, count: int, option: str = "--phase"):
    """Up to ``count`` (label, instance, uint8 image) layouts of ``phase``; ``config``: what
    :func:`data_config` returns (``option`` names the phase in an error)."""
    from paddle_inade.data import create_dataset
    return _layouts(create_dataset(config(phase)), count, f"{option} {phase}")


def main(argv=None) -> int:
    from paddle_inade.cli import HelpFormatter, add_checkpoint_args
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__, formatter_class=HelpFormatter)
    add_checkpoint_args(parser)
    data = add_data_args(parser)
    data.add_argument("--reference_phase", default="train", help="real scenes for the real-vs-real floor ('' = none)")
    parser.add_argument("--n_layouts", type=int, default=30)
    parser.add_argument("--n_samples", type=int, default=16)
    parser.add_argument("--min_pixels", type=int, default=16, help="smaller instances are left out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args(argv)
    from paddle_inade.cli import layout_bar, pipeline_from_args
    from paddle_inade.eval.quality import evaluate_quality
    try:
        if args.n_layouts < 2:
            raise ValueError(f"--n_layouts must be >= 2, got {args.n_layouts}")
        if args.n_samples < 2:
            raise ValueError(f"--n_samples must be >= 2, got {args.n_samples}")
        pipe = pipeline_from_args(args)
        config = data_config(args, pipe)
        layouts = evaluation_layouts(config, args.phase, args.n_layouts)
        reference = None
        if args.reference_phase:
            reference = evaluation_layouts(config, args.reference_phase, 10 * args.n_layouts, "--reference_phase")
        names = None
        if config(args.phase).dataset_mode == "toy":
            from paddle_inade.data.toy_scenes import CLASSES as names
        report = evaluate_quality(pipe, layouts, args.n_samples, args.seed, reference, args.min_pixels,
                                  class_names=names, progress=layout_bar("measuring"))
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.format())
    if args.json:
        from paddle_inade.files import atomic_write_text
        atomic_write_text(args.json, json.dumps({**report.scalars(), "per_class": report.per_class}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
