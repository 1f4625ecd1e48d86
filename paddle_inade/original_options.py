"""The original's options that this package has no field for, and its ``opt.txt``.

The original's ``train.py`` writes every option into ``checkpoints/<name>/opt.txt``, one per
line as ``<name right-aligned>: <value>`` with ``[default: ...]`` after a tab when the value
is not the default. :func:`parse_opt_txt` reads it back into this package's option groups
(typed as the fields of :class:`~paddle_inade.config.INADEConfig`,
:class:`~paddle_inade.data.DataConfig` and the trainer's options).

The original's options without a field here either choose something this package has only
one of (``REQUIRED_VALUES``: e.g. ``netG`` must be ``spade``) or have no effect here
(``NO_EFFECT``, with the reason).
"""
from __future__ import annotations

import dataclasses
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

#: What the original's dataset classes set for model options (beyond the data options of
#: :func:`paddle_inade.data.options.dataset_defaults`).
MODEL_DATASET_DEFAULTS = {"deepfashion": {"noise_nc": 8}, "cityscapes": {"num_upsampling_layers": "more"}}


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


def _model_config(model: str = "inade"):
    """The model option class of ``--model`` (INADEConfig, or SMISConfig for ``smis``)."""
    from .train_options import MODEL_CONFIGS
    if model not in MODEL_CONFIGS:
        raise ValueError(f"--model {model!r} is not one of {sorted(MODEL_CONFIGS)}")
    return MODEL_CONFIGS[model]


def _field_types(model: str = "inade") -> dict[str, Any]:
    """{option: type} over the model, data and training option groups."""
    from .data.options import DataConfig
    from .train_options import TrainOptions
    types: dict[str, Any] = {}
    for cls in (TrainOptions, DataConfig, _model_config(model)):
        hints = typing.get_type_hints(cls)
        types.update({f.name: hints[f.name] for f in dataclasses.fields(cls)})
    return types


def _groups(model: str = "inade") -> dict[str, set]:
    from .data.options import DataConfig
    from .train_options import TrainOptions
    return {group: {f.name for f in dataclasses.fields(cls)}
            for group, cls in (("model", _model_config(model)), ("data", DataConfig), ("train", TrainOptions))}


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


def sort_options(values: Mapping[str, Any], source: str, texts: bool = False):
    """A flat mapping of options as :class:`~paddle_inade.io.SavedOptions`: each option in its
    group(s), typed from text when ``texts``; the original's options without a field here in
    ``original``. Other keys are a ValueError naming ``source`` and them."""
    from .io import SavedOptions
    model = str(values.get("model", "inade"))
    types, groups = _field_types(model), _groups(model)
    unknown = sorted(k for k in values if k not in types and k not in ORIGINAL_ONLY_DEFAULTS
                     and k not in NO_EFFECT and k != "semantic_nc")
    if unknown:
        raise ValueError(f"{source}: unknown option(s) {unknown}; neither this package's nor the "
                         "original's (see python tools/train.py -h)")
    saved = SavedOptions(source)
    for name, value in values.items():
        if name not in types:
            if name != "semantic_nc":
                saved.original[name] = value
            continue
        if texts:
            value = convert_value(value, types[name], name, source)
        for group, names in groups.items():
            if name in names:
                getattr(saved, group)[name] = value
    check_original_only(saved.original, source)
    return saved


def parse_opt_txt(path: str):
    """The original's ``opt.txt`` as :class:`~paddle_inade.io.SavedOptions` (see
    :func:`sort_options`). Raises ValueError naming the file and the line or option."""
    with open(path, encoding="utf-8") as fh:
        texts = parse_opt_lines(fh, path)
    saved = sort_options(texts, path, texts=True)
    if "norm_mode" not in saved.model:
        raise ValueError(f"{path}: no norm_mode in it; not an opt.txt of INADE's train.py")
    return saved

