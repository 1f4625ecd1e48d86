"""Command-line pieces shared by the inference tools (test, demo, export, eval_diversity)."""
from __future__ import annotations

import argparse
import os


def add_checkpoint_args(parser: argparse.ArgumentParser) -> None:
    """--name/--checkpoints_dir/--which_epoch (a training run) or --checkpoint FILE with
    --encoder/--preset/--config (e.g. a converted release)."""
    group = parser.add_argument_group("model")
    group.add_argument("--name", help="experiment under --checkpoints_dir (reads its opt.yaml)")
    group.add_argument("--checkpoints_dir", default="./checkpoints")
    group.add_argument("--which_epoch", default="latest")
    group.add_argument("--checkpoint", help="a generator file (.pdparams or the original's .pth) instead of --name")
    group.add_argument("--encoder", help="encoder file to go with --checkpoint")
    group.add_argument("--preset", help="model options for --checkpoint (ade20k, cityscapes, ...)")
    group.add_argument("--config", help="model options (YAML) for --checkpoint")


def checkpoint_source(args) -> str:
    """The folder of ``--name`` or the file of ``--checkpoint``."""
    if args.checkpoint:
        return args.checkpoint
    if args.name:
        return os.path.join(args.checkpoints_dir, args.name)
    raise ValueError("pass --name (a trained experiment) or --checkpoint FILE")


def pipeline_from_args(args, device: str = "-1"):
    """An :class:`~paddle_inade.pipeline.INADEPipeline` from :func:`add_checkpoint_args` options."""
    from .pipeline import INADEPipeline
    return INADEPipeline.from_checkpoint(checkpoint_source(args), config=args.config, preset=args.preset,
                                         which_epoch=args.which_epoch, encoder=args.encoder, device=device)
