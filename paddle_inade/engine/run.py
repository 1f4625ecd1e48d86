"""From command-line arguments to a finished training run of one model family (the family is
chosen by the caller: :mod:`paddle_inade.training_cli`, what ``tools/train.py`` calls)."""
from __future__ import annotations

import os
from typing import Optional, Sequence

import paddle

from ..device import select_device
from .options import build_parser, resolve, split_options
from .trainer import Trainer

def _check_fresh(exp_dir: str, overwrite: bool) -> None:
    existing = [f for f in os.listdir(exp_dir) if f.endswith(".pdparams")] if os.path.isdir(exp_dir) else []
    if existing and not overwrite:
        raise FileExistsError(f"{exp_dir} already holds checkpoints ({len(existing)} files): pass "
                              "--continue_train to resume, --name NEW for a new run, or --overwrite")


def parse(argv: Optional[Sequence[str]], family, description: str = "Train with the originals' options"):
    """Return (model cfg, data cfg, train options, overwrite flag) of a ``family`` run
    (:class:`~paddle_inade.family.ModelFamily`) from the command line."""
    parser = build_parser(description, family)
    parser.add_argument("--overwrite", action="store_true",
                        help="start afresh even if --name already holds checkpoints")
    parser.add_argument("--vgg_path", help="SMIS's name for --vgg_weights")
    args = vars(parser.parse_args(argv))
    overwrite = args.pop("overwrite", False)
    if "vgg_path" in args:  # SMIS's name of the VGG19 weights option
        args.setdefault("vgg_weights", args.pop("vgg_path"))
    args.pop("model", None)
    flat = resolve(args, family)
    model_cfg, data_cfg, opts = split_options(flat, "command line")
    if opts.quality_freq and not family.quality_logging:
        raise ValueError(f"--quality_freq {opts.quality_freq}: {family.no_quality}")
    return model_cfg, data_cfg, opts, overwrite


def main(argv: Optional[Sequence[str]], family, should_stop=None, description: Optional[str] = None,
         on_step=None) -> Trainer:
    """Parse, check, build and train a ``family`` run. ``should_stop``, ``on_step``: see :class:`Trainer` (a
    stop saves ``latest`` and raises :class:`~.trainer.TrainingInterrupted`)."""
    from ..data.setup import build_training_dataset
    model_cfg, data_cfg, opts, overwrite = parse(argv, family, *([description] if description else []))
    if not opts.continue_train:
        _check_fresh(opts.experiment_dir, overwrite)
    if paddle.distributed.get_world_size() > 1:
        paddle.distributed.init_parallel_env()
    select_device(opts.gpu_ids)
    dataset, data_cfg = build_training_dataset(data_cfg, model_cfg)
    trainer = Trainer(model_cfg, data_cfg, opts, dataset, should_stop=should_stop, family=family,
                      on_step=on_step)
    if opts.continue_train:
        trainer.resume(opts.which_epoch)
    trainer.train()
    return trainer
