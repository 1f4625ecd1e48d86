"""Command-line pieces shared by the inference tools (test, demo, export, eval_diversity).

A tool takes a model the way the original's ``test.py`` does (``--name``, ``--checkpoints_dir``,
``--which_epoch`` and the model options under the original's names and test-time defaults),
or a single file (``--checkpoint FILE`` with ``--encoder``, ``--preset``, ``--config``).

Where the model options come from, later winning:

* a run folder with saved options (``opt.yaml`` of this package, or the original's ``opt.txt``):
  those options; an option given on the command line (or by ``--preset``/``--config``) that
  differs from the saved value is an error naming both;
* a folder or file without saved options (e.g. the released ``best_net_G.pth``): the
  original's defaults, then what its ``--dataset_mode`` sets (label_nc, crop_size, ...), then
  ``--preset``, ``--config``, the command line.

The generator is ``<which_epoch>_net_G.pdparams`` or else the original's ``.pth`` (read in
place, without torch); the encoder ``<which_epoch>_net_E.*`` beside it.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
from dataclasses import dataclass
from typing import Any, Optional

from .config import INADEConfig
from .option_parser import add_fields, add_option, given as options_given
from .original_options import NO_EFFECT, ORIGINAL_ONLY_DEFAULTS, check_original_only
from .runs import check_run_folder, missing_weights_message, run_weight_files
from .saved_options import SavedOptions, contradictions, read_options_file, read_saved_options

log = logging.getLogger(__name__)

#: The run the inference tools read when no --name is given: what ``python tools/train.py`` trains.
DEFAULT_RUN = "toy_inade"

#: INADEConfig fields the original's test parser does not have (discriminator and losses).
TRAIN_ONLY_MODEL = ("ndf", "num_D", "n_layers_D", "netD_subarch", "gan_mode", "lambda_feat", "lambda_vgg",
                    "lambda_kld", "no_ganFeat_loss", "no_vgg_loss")
#: Model options whose default (without saved options) depends on --dataset_mode.
DATASET_DEPENDENT = ("label_nc", "contain_dontcare_label", "crop_size", "aspect_ratio", "noise_nc",
                     "num_upsampling_layers")
#: INADEConfig fields the inference tools take on the command line.
MODEL_OPTIONS = tuple(name for name in INADEConfig.__dataclass_fields__ if name not in TRAIN_ONLY_MODEL)
#: The original's test-only options without a field here, as the inference tools take them.
ORIGINAL_TEST_ONLY = ("model", "netG", "display_winsize", "load_from_opt_file", "cache_filelist_write",
                      "cache_filelist_read", "train_eval", "eval_dims", "eval_epoch_freq")
#: The original's test defaults (its test_options.py) before --dataset_mode sets its own.
TEST_DEFAULTS = {"crop_size": 256, "load_size": 256, "preprocess_mode": "scale_width_and_crop",
                 "serial_batches": True, "no_flip": True, "phase": "test", "dataset_mode": "coco"}


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The module doc as written, and every option's default in --help."""


def add_checkpoint_args(parser: argparse.ArgumentParser) -> None:
    """The run (``--name`` ...) or a file (``--checkpoint`` ...), every model option of the
    original's test parser, and its test-only options."""
    run = parser.add_argument_group("run (the original's options)")
    run.add_argument("--name", default=DEFAULT_RUN, help="run folder under --checkpoints_dir (default: the "
                                                      "toy run that python tools/train.py makes)")
    run.add_argument("--checkpoints_dir", default="./checkpoints")
    run.add_argument("--which_epoch", default="latest", help="<which_epoch>_net_G.pdparams or .pth")
    run.add_argument("--gpu_ids", default="0", help="'-1' for the CPU")
    run.add_argument("--ema", action=argparse.BooleanOptionalAction, default=True,
                     help="use the run's weight averages (<which_epoch>_net_G_ema, from training with "
                          "--ema_nimg) when it has them")
    own = parser.add_argument_group("a single file instead of a run folder")
    own.add_argument("--checkpoint", help="a generator file (.pdparams or the original's .pth)")
    own.add_argument("--encoder", help="the encoder file to go with it")
    own.add_argument("--preset", help="named model options (ade20k, cityscapes, celeba, deepfashion, coco, toy)")
    own.add_argument("--config", help="model options file: YAML or the original's opt.txt")
    model = parser.add_argument_group("model (default: the run's saved options; without them the "
                                      "original's defaults and --dataset_mode's)")
    model.add_argument("--use_vae", action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                       help="use the encoder: remap each sample's noise with the styles encoded from the real "
                            "image (default: the run's use_vae, when its encoder file is there); --no-use_vae "
                            "samples every instance from the prior")
    add_fields(model, INADEConfig, lambda name, default: "(default: saved, else "
               f"{'set by --dataset_mode' if name in DATASET_DEPENDENT else repr(default)})",
               skip=(*TRAIN_ONLY_MODEL, "use_vae"), helps={})
    original = parser.add_argument_group("the original's options without effect here")
    for name in ORIGINAL_TEST_ONLY:
        default = ORIGINAL_ONLY_DEFAULTS[name]
        why = NO_EFFECT.get(name, f"only {default} is supported")
        add_option(original, name, type(default), f"(default: {default}; {why})")


def note_no_effect(args: argparse.Namespace) -> None:
    """Refuse unsupported values of the original's options (``--netG``) and say which given
    ones change nothing here (a logged warning)."""
    given = options_given(args, ORIGINAL_TEST_ONLY)
    check_original_only(given, "command line")
    for name, value in given.items():
        if name in NO_EFFECT and value != ORIGINAL_ONLY_DEFAULTS[name]:
            log.warning("--%s has no effect here (%s)", name, NO_EFFECT[name])


@dataclass
class ModelSource:
    """Where the model comes from: its options and files, and the saved options if any."""

    cfg: INADEConfig
    generator: str
    encoder: Optional[str]
    saved: Optional[SavedOptions]
    name: str
    use_vae_given: Optional[bool]


def _model_defaults(dataset_mode: str) -> dict[str, Any]:
    """The model options the original's test parser ends with for ``dataset_mode`` (no saved options)."""
    from .data.options import defaults_for
    return {"crop_size": TEST_DEFAULTS["crop_size"], **defaults_for(INADEConfig, dataset_mode, is_train=False)}


def _layers(args) -> list[tuple[str, dict]]:
    """(source, model values) given on top of the saved/default options, lowest first."""
    layers = []
    if getattr(args, "preset", None):
        layers.append((f"--preset {args.preset}", INADEConfig.preset(args.preset).to_dict()))
    if getattr(args, "config", None):
        layers.append((f"--config {args.config}", read_options_file(args.config).model))
    typed = options_given(args, MODEL_OPTIONS)
    typed.pop("use_vae", None)
    layers.append(("command line", typed))
    return layers


def _check_conflicts(saved: SavedOptions, layers) -> None:
    for source, values in layers:  # use_vae: whether to use the encoder now, not how it was trained
        for key, (was, value) in contradictions(saved.model, {k: v for k, v in values.items()
                                                               if k != "use_vae"}).items():
            prefix = "" if source == "command line" else f"{source}: "
            raise ValueError(f"{prefix}--{key} {value} contradicts the run's {saved.path} ({key}: {was}); leave "
                             "it out (the saved value is used), or pick another --name / --which_epoch")


def model_config(args, saved: Optional[SavedOptions], dataset_mode: Optional[str]) -> INADEConfig:
    """The model options of a tool invocation (see the module doc for the order)."""
    layers = _layers(args)
    if saved is not None:
        _check_conflicts(saved, layers)
        return INADEConfig.from_dict(saved.model, source=saved.path)
    values = _model_defaults(dataset_mode or TEST_DEFAULTS["dataset_mode"])
    if hasattr(args, "use_vae"):
        values["use_vae"] = bool(args.use_vae)
    for _, layer in layers:
        values.update(layer)
    return INADEConfig.from_dict(values, source="the options given")


def model_source(args, dataset_mode: Optional[str] = None) -> ModelSource:
    """Options and files of the model that ``args`` (:func:`add_checkpoint_args`) name.

    ``dataset_mode``: chooses the dataset defaults when nothing is saved (default: the
    command line's ``--dataset_mode`` if the tool has it, else the original's 'coco').
    """
    note_no_effect(args)
    dataset_mode = dataset_mode or getattr(args, "dataset_mode", None)
    use_vae_given = getattr(args, "use_vae", None)
    if args.checkpoint:
        if not os.path.isfile(args.checkpoint):
            raise FileNotFoundError(f"--checkpoint {args.checkpoint}: no such file")
        cfg = model_config(args, None, dataset_mode)
        name = os.path.splitext(os.path.basename(args.checkpoint))[0]
        return ModelSource(cfg, args.checkpoint, _given_encoder(args), None, name, use_vae_given)
    try:
        folder = check_run_folder(os.path.join(args.checkpoints_dir, args.name))
    except FileNotFoundError as exc:
        if args.name != DEFAULT_RUN:
            raise
        raise FileNotFoundError(f"{exc}; the default model is the toy run: train it first with python "
                                "tools/train.py, or pass --name RUN (or --checkpoint FILE)") from None
    saved = read_saved_options(folder)
    if saved is not None and not dataset_mode:
        dataset_mode = saved.data.get("dataset_mode")
    cfg = model_config(args, saved, dataset_mode)
    generator, encoder = run_weight_files(folder, args.which_epoch, getattr(args, "ema", True))
    encoder = _given_encoder(args) or encoder
    if use_vae_given and encoder is None:
        raise ValueError(f"--use_vae: {missing_weights_message(folder, args.which_epoch, 'E')}")
    return ModelSource(cfg, generator, encoder, saved, args.name, use_vae_given)


def _given_encoder(args) -> Optional[str]:
    if args.encoder and not os.path.isfile(args.encoder):
        raise FileNotFoundError(f"--encoder {args.encoder}: no such file")
    return args.encoder


def pipeline_from_source(source: ModelSource, device: str = "0"):
    """The :class:`~paddle_inade.pipeline.INADEPipeline` of a :class:`ModelSource` (with the
    encoder when its file is there and the options have one). A command's edge: Paddle's device
    for the whole process becomes ``device`` (the tools compute beside the pipeline)."""
    from .device import select_device
    from .pipeline import INADEPipeline
    from .pipeline_base import device_arg
    device = select_device(device_arg(device))
    has_encoder = source.cfg.is_inade or source.cfg.use_vae
    return INADEPipeline.from_checkpoint(source.generator, config=source.cfg,
                                         encoder=source.encoder if has_encoder else None, device=device)


# --------------------------------------------------------------------------- data (tools/test.py)
#: Data options of a run that say where its data is; kept at test time when --dataset_mode is the same.
DATA_LOCATION = ("dataroot", "label_dir", "image_dir", "instance_dir", "sketch_dir", "no_pairing_check",
                 "max_instances")
#: Data options that are model options too: always the model's.
SHARED_WITH_MODEL = ("label_nc", "contain_dontcare_label", "no_instance", "crop_size", "aspect_ratio", "add_sketch")


def add_data_args(parser: argparse.ArgumentParser) -> None:
    """The data options of the original's test parser (its names and test-time defaults)."""
    from .data.options import DataConfig
    group = parser.add_argument_group("data (default: the original's test defaults and --dataset_mode's; "
                                      "a run's data folders when it used the same --dataset_mode)")

    def shown(name, default):
        value = TEST_DEFAULTS.get(name, default)
        return f"(default: set by --dataset_mode, else {value!r})" if name in (
            "load_size", "preprocess_mode", "dataroot") else f"(default: {value})"
    add_fields(group, DataConfig, shown, skip=(*SHARED_WITH_MODEL, "is_train"), helps={})


def data_values(args, source: ModelSource) -> dict[str, Any]:
    """The DataConfig fields for testing ``source``'s model on the data ``args`` name."""
    from .data.options import DataConfig, defaults_for
    names = [f.name for f in dataclasses.fields(DataConfig) if f.name not in SHARED_WITH_MODEL]
    typed = options_given(args, names)
    saved = source.saved.data if source.saved is not None else {}
    mode = typed.get("dataset_mode") or saved.get("dataset_mode") or TEST_DEFAULTS["dataset_mode"]
    values = {**{f.name: f.default for f in dataclasses.fields(DataConfig)}, **TEST_DEFAULTS,
              **defaults_for(DataConfig, mode, is_train=False), "dataset_mode": mode}
    if saved.get("dataset_mode") == mode:
        values.update({k: saved[k] for k in DATA_LOCATION if k in saved})
        trained = defaults_for(DataConfig, mode, is_train=True)
        if any(saved.get(k, trained[k]) != trained[k] for k in ("preprocess_mode", "load_size")):
            values.update({k: saved[k] for k in ("preprocess_mode", "load_size") if k in saved})
    values.update(typed)
    values.update({k: getattr(source.cfg, k) for k in SHARED_WITH_MODEL})
    values["is_train"] = False
    return values


def pipeline_from_args(args, device: Optional[str] = None):
    """An :class:`~paddle_inade.pipeline.INADEPipeline` from :func:`add_checkpoint_args` options."""
    return pipeline_from_source(model_source(args), device if device is not None else args.gpu_ids)


def layout_bar(desc: str, unit: str = "layout"):
    """A progress bar for a tool's loop: ``layout_bar("measuring")(items)`` (tqdm on stderr, gone
    when done, off when stderr is not a terminal)."""
    import functools

    from tqdm import tqdm
    return functools.partial(tqdm, desc=desc, unit=unit, leave=False, dynamic_ncols=True, disable=None)
