"""``tools/test.py --model smis``: SMIS's test command on its checkpoint folders or our runs.

    python tools/test.py --name deepfashion_smis --dataset_mode deepfashion --dataroot DIR --no_instance \
        --gpu_ids 1 --ngf 160 --batchSize 4 --model smis --netG deepfashion [--test_mask 3 --test_times 4]

Options keep SMIS's names (``--test_mask N``: resample only class N's code; ``--test_times`` or our
``--n_samples``: samples per layout). Model options come from the run's ``opt.yaml`` when there is
one (a contradicting option is an error), else, as SMIS builds them, from ``--dataset_mode``'s
defaults and the command line. Results go to ``<results_dir>/<name>/<phase>_<which_epoch>/`` as
for INADE (``images/input_label/``, ``images/synthesized_image[_k]/``, ``grids/``, ``index.html``),
written completely under a temporary name first.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
from typing import Optional, Sequence

from .config import MODEL_NAME, SMISConfig
from ..saved_options import contradiction_text, contradictions
from ..option_parser import OptionParser, add_fields, given as options_given

#: model options of SMIS's command line that map onto SMISConfig
MODEL_OPTIONS = ("netG", "netE", "ngf", "nef", "z_dim", "label_nc", "contain_dontcare_label", "no_instance",
                 "crop_size", "aspect_ratio", "num_upsampling_layers", "norm_G", "norm_E", "init_type",
                 "init_variance")


def _flag_or_value(text: Optional[str] = None) -> bool:
    """SMIS's ``--use_vae`` takes a value (any non-empty text is true); ours is also a flag."""
    return True if text is None else text.lower() not in ("", "0", "false", "no")


def build_parser() -> argparse.ArgumentParser:
    p = OptionParser(description="GroupDNet (SMIS) test: class-wise diverse samples")
    p.add_argument("--model", default=MODEL_NAME, choices=[MODEL_NAME])
    p.add_argument("--name", default=None)
    p.add_argument("--checkpoints_dir", default="./checkpoints")
    p.add_argument("--which_epoch", default="latest")
    p.add_argument("--ema", action=argparse.BooleanOptionalAction, default=True,
                   help="use the run's weight averages (<which_epoch>_net_G_ema, from training with "
                        "--ema_nimg) when it has them")
    p.add_argument("--checkpoint", help="one generator file (.pdparams or SMIS's .pth) instead of --name")
    p.add_argument("--encoder", help="(not used by SMIS's test, which samples codes from the prior)")
    p.add_argument("--preset", help="model options of a released model: deepfashion, cityscapes, ade20k, toy")
    p.add_argument("--results_dir", default="./results/")
    p.add_argument("--how_many", type=int, default=None)
    p.add_argument("--test_mask", type=int, default=-1, help="resample only this class's code (-1: all)")
    p.add_argument("--test_times", type=int, default=1, help="samples per layout (SMIS's name)")
    p.add_argument("--n_samples", type=int, default=None, help="samples per layout (overrides --test_times)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dataset_mode")
    p.add_argument("--dataroot")
    p.add_argument("--phase", default="test")
    p.add_argument("--load_size", type=int)
    p.add_argument("--preprocess_mode")
    p.add_argument("--batchSize", type=int, default=1, help="layouts generated together")
    p.add_argument("--gpu_ids", default="0")
    p.add_argument("--use_vae", nargs="?", const=None, type=_flag_or_value, default=True,
                   help="accepted as in SMIS (its test samples codes from the prior)")
    add_fields(p.add_argument_group("model (default: the run's opt.yaml, else SMIS's and --dataset_mode's)"),
               SMISConfig, lambda name, default: f"(default: the run's; else --dataset_mode's or {default!r})",
               only=MODEL_OPTIONS)
    return p


def _saved(folder: str):
    """The run's ``opt.yaml`` (ours) as SavedOptions, or None. SMIS's own ``opt.txt`` is not read,
    as SMIS's test.py does not read it: the command line gives the options."""
    from ..saved_options import read_options_file
    path = os.path.join(folder, "opt.yaml")
    return read_options_file(path) if os.path.isfile(path) else None


def build(args):
    """(pipeline or test-mask view, dataset, output folder); raises ValueError / FileNotFoundError."""
    from ..data import DataConfig, create_dataset
    from ..data.options import defaults_for
    from .pipeline import GroupDNetPipeline
    if args.checkpoint:
        source, name, saved = args.checkpoint, os.path.splitext(os.path.basename(args.checkpoint))[0], None
    elif args.name:
        source, name = os.path.join(args.checkpoints_dir, args.name), args.name
        if not os.path.isdir(source):
            holds = sorted(os.listdir(args.checkpoints_dir))[:10] if os.path.isdir(args.checkpoints_dir) else []
            raise FileNotFoundError(f"no run folder {source} (--checkpoints_dir holds: {holds})")
        saved = _saved(source)
    else:
        raise ValueError("pass --name (a run or SMIS checkpoint folder) or --checkpoint FILE")
    given = options_given(args, MODEL_OPTIONS)
    saved_data = saved.data if saved is not None else {}
    mode = args.dataset_mode or saved_data.get("dataset_mode")
    if mode is None:
        raise ValueError("no dataset: pass --dataset_mode and --dataroot")
    if saved is not None:
        conflicts = contradictions(saved.model, {k: v.lower() if k == "netG" else v for k, v in given.items()})
        if conflicts:
            raise ValueError(f"{source}/opt.yaml was trained with other options: " + contradiction_text(conflicts))
        options = {}
    else:  # as SMIS: the dataset's defaults, then the command line
        options = {**defaults_for(SMISConfig, mode, is_train=args.phase == "train"), **given}
        options.setdefault("netG", mode if mode in ("deepfashion", "cityscapes", "ade20k") else "deepfashion")
    from ..device import select_device
    device = select_device(args.gpu_ids)  # the command's edge: its device for the whole process
    pipe = GroupDNetPipeline.from_checkpoint(source, preset=args.preset, which_epoch=args.which_epoch,
                                             encoder=args.encoder, device=device, ema=args.ema, **options)
    view = pipe.with_test_mask(args.test_mask) if args.test_mask != -1 else pipe
    from ..data.setup import check_family
    check_family(mode, pipe.cfg)
    data = {**saved_data} if saved_data.get("dataset_mode") == mode else \
        dataclasses.asdict(DataConfig.for_dataset(mode, args.phase))
    data.update({"phase": args.phase, "is_train": False, "no_flip": True, "serial_batches": True})
    data.update({k: getattr(args, k) for k in ("dataroot", "load_size", "preprocess_mode")
                 if getattr(args, k) is not None})
    shared = {k: getattr(pipe.cfg, k) for k in ("label_nc", "contain_dontcare_label", "no_instance",
                                                 "crop_size", "aspect_ratio")}
    dataset = create_dataset(DataConfig.from_dict({**data, **shared}))
    out = os.path.join(args.results_dir, name, f"{args.phase}_{args.which_epoch}")
    return view, dataset, out


def name_of(args) -> str:
    return args.name if not args.checkpoint else os.path.basename(args.checkpoint)


def test_main(argv: Optional[Sequence[str]] = None) -> tuple[int, str, int]:
    """Run SMIS's test; returns (layouts written, output folder, samples per layout)."""
    from ..inference import write_results
    args = build_parser().parse_args(argv)
    n_samples = args.n_samples if args.n_samples is not None else args.test_times
    if n_samples < 1:
        raise ValueError(f"--n_samples / --test_times must be >= 1, got {n_samples}")
    if args.how_many is not None and args.how_many < 1:
        raise ValueError(f"--how_many must be >= 1, got {args.how_many}")
    view, dataset, out = build(args)
    count = write_results(view, dataset, out, n_samples, args.seed, args.how_many, batch_size=args.batchSize,
                          title=f"GroupDNet {name_of(args)}, test_mask {args.test_mask}")
    return count, out, n_samples
