"""The original's options that this package has no field for, and its ``opt.txt``.

The original's ``train.py`` writes every option into ``checkpoints/<name>/opt.txt``, one per
line as ``<name right-aligned>: <value>`` with ``[default: ...]`` after a tab when the value
is not the default. :func:`parse_opt_lines` reads its lines and :func:`convert_value` a value's
text; :func:`paddle_inade.saved_options.parse_opt_txt` sorts them into this package's option
groups (typed as the fields of :class:`~paddle_inade.config.INADEConfig`,
:class:`~paddle_inade.data.DataConfig` and the trainer's options).

The original's options without a field here either choose something this package has only
one of (``REQUIRED_VALUES``: e.g. ``netG`` must be ``spade``) or have no effect here
(``NO_EFFECT``, with the reason).
"""
from __future__ import annotations

import math
import sys
import typing
from typing import Any, Mapping

#: Options with a single supported value here (the original's defaults).
REQUIRED_VALUES = {"model": "pix2pix", "netG": "spade", "netD": "multiscale", "optimizer": "adam"}
#: ``--model`` values of this package's INADE / SPADE (the other families' are train_options.MODEL_CONFIGS').
INADE_MODELS = ("pix2pix", "inade")

#: The original's options that change nothing here, with the reason shown to the user.
NO_EFFECT = {
    "display_winsize": "results are written at the generated size",
    "load_from_opt_file": "the run's saved options are always read",
    "cache_filelist_write": "file lists are not cached",
    "cache_filelist_read": "file lists are not cached",
    "train_eval": "FID is computed with tools/eval_fid.py",
    "eval_dims": "FID is computed with tools/eval_fid.py",
    "eval_epoch_freq": "FID is computed with tools/eval_fid.py",
    "no_html": "training writes VisualDL logs and sample grids",
    "debug": "use --max_steps to stop early",
    "tf_log": "training writes VisualDL logs",
    "isTrain": "set by the tool",
    "resnet_n_downsample": "only for --netG pix2pixhd",
    "resnet_n_blocks": "only for --netG pix2pixhd",
    "resnet_kernel_size": "only for --netG pix2pixhd",
    "resnet_initial_kernel_size": "only for --netG pix2pixhd",
}

#: Types of the original-only options (for the command line); the rest are strings.
ORIGINAL_ONLY_TYPES = {"display_winsize": int, "eval_dims": int, "eval_epoch_freq": int,
                       "resnet_n_downsample": int, "resnet_n_blocks": int, "resnet_kernel_size": int,
                       "resnet_initial_kernel_size": int}
ORIGINAL_ONLY_FLAGS = ("load_from_opt_file", "cache_filelist_write", "cache_filelist_read", "train_eval",
                       "no_html", "debug", "tf_log")
ORIGINAL_ONLY_DEFAULTS = {"display_winsize": 400, "eval_dims": 2048, "eval_epoch_freq": 10,
                          "resnet_n_downsample": 4, "resnet_n_blocks": 9, "resnet_kernel_size": 3,
                          "resnet_initial_kernel_size": 7, "results_dir": "./results/", "how_many": math.inf,
                          **REQUIRED_VALUES, **{flag: False for flag in ORIGINAL_ONLY_FLAGS}}

def check_original_only(values: Mapping[str, Any], source: str) -> None:
    """A ValueError naming ``source`` if an original-only option asks for something this
    package does not have (e.g. ``netG pix2pixhd``; GroupDNet's generators need ``--model smis``)."""
    netG = str(values.get("netG", "spade")).lower()
    if netG in ("deepfashion", "cityscapes", "ade20k"):
        raise ValueError(f"{source}: --netG {values['netG']} is one of GroupDNet's generators (SMIS); "
                         "pass --model smis")
    model = str(values.get("model", "pix2pix"))
    other = _other_family_config(model)
    if other is not None:
        raise ValueError(f"{source}: --model {model} is {other.title}: {other.tools_hint}; this runs INADE / SPADE")
    for name, required in REQUIRED_VALUES.items():
        if name == "model" and str(values.get(name)) in INADE_MODELS:
            continue
        if name in values and str(values[name]) != required:
            raise ValueError(f"{source}: --{name} {values[name]} is not supported; this port has only "
                             f"--{name} {required} (the original's default)")


def _other_family_config(model: str):
    """The option class of ``model`` when it is another family's than INADE / SPADE's, else None."""
    from .train_options import MODEL_CONFIGS
    cls = MODEL_CONFIGS.get(model)
    return None if cls is None or model in INADE_MODELS else cls


def convert_value(text: str, tp, option: str, source: str) -> Any:
    """The string ``text`` of an ``opt.txt`` line as ``tp`` (bool, int, float, str or Optional)."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    optional, base = bool(args), (args[0] if args else tp)
    if optional and text in ("None", str(sys.maxsize), "inf"):
        return None
    try:
        if base is bool:
            if text not in ("True", "False"):
                raise ValueError(text)
            return text == "True"
        if base is int:
            return int(text)
        if base is float:
            value = float(text)
            if math.isnan(value):
                raise ValueError(text)
            return value
    except ValueError:
        raise ValueError(f"{source}: option {option} has value {text!r}, expected {base.__name__}") from None
    return text


def parse_opt_lines(lines, source: str) -> dict[str, str]:
    """{option: value text} from the lines of an ``opt.txt``."""
    values = {}
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("-----"):
            continue
        name, sep, rest = line.partition(": ")
        if not sep or not name.strip().isidentifier():
            raise ValueError(f"{source}, line {number}: expected '<option>: <value>', got {line!r} "
                             "(is this the original's opt.txt?)")
        values[name.strip()] = rest.split("\t[default:")[0].rstrip(" ")
    if not values:
        raise ValueError(f"{source}: no options in it (is this the original's opt.txt?)")
    return values
