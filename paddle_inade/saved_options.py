"""The options saved beside a checkpoint: ``opt.yaml`` (this package's trainer) or ``opt.txt``
(the original's ``train.py``), read into this package's option groups as :class:`SavedOptions`.

:func:`read_saved_options` reads a run folder's, :func:`read_options_file` one file;
:func:`parse_opt_txt` reads the original's dump (its lines: :mod:`.original_options`).
"""
from __future__ import annotations

import os
import typing
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Union

from .original_options import NO_EFFECT, ORIGINAL_ONLY_DEFAULTS, check_original_only, convert_value, parse_opt_lines

PathLike = Union[str, os.PathLike]


@dataclass
class SavedOptions:
    """The options saved beside a checkpoint, in this package's groups.

    ``path``: the file read; ``model``/``data``/``train``: options by group (typed);
    ``original``: options of the original's ``opt.txt`` that have no field here (e.g. ``netG``),
    as written there.
    """

    path: str
    model: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    original: dict = field(default_factory=dict)

    def flat(self) -> dict:
        return {**self.train, **self.data, **self.model}


def contradictions(saved: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{option: (saved value, given value)} for each option of ``given`` saved with another value:
    the one check of 'the command line contradicts the run' (resume, test, GroupDNet, AdaIN)."""
    return {k: (saved[k], v) for k, v in given.items() if k in saved and saved[k] != v}


def contradiction_text(conflicts: Mapping[str, tuple[Any, Any]]) -> str:
    """'ngf: saved 16, given 4, ...' of :func:`contradictions`."""
    return ", ".join(f"{k}: saved {a!r}, given {b!r}" for k, (a, b) in conflicts.items())


def read_saved_options(folder: PathLike) -> Optional[SavedOptions]:
    """The options saved in a run folder: ``opt.yaml`` (this package) or else ``opt.txt``
    (the original's dump); None when the folder has neither (e.g. released checkpoints).

    Raises: ValueError naming the file when it cannot be read as such.
    """
    for name in ("opt.yaml", "opt.txt"):
        path = os.path.join(os.fspath(folder), name)
        if os.path.isfile(path):
            saved = read_options_file(path)
            if name == "opt.yaml" and not saved.model:
                raise ValueError(f"{path}: not an options file written by paddle_inade's trainer "
                                 "(no 'model' section)")
            return saved
    return None


def read_options_file(path: PathLike) -> SavedOptions:
    """Options from a file: YAML, flat or in ``model``/``data``/``train`` sections (what
    ``opt.yaml`` holds), or the original's ``opt.txt`` (recognised by its ``.txt`` name).
    An option of two groups (``label_nc``: model and data) lands in both; the original's
    options without a field here go to ``original``; any other key is a ValueError naming it.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such options file")
    if path.endswith(".txt"):
        return parse_opt_txt(path)
    import yaml
    try:
        with open(path, encoding="utf-8") as fh:
            content = yaml.safe_load(fh) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a mapping of options, got {type(content).__name__}")
    flat = {}
    for key, value in content.items():
        if key in ("model", "data", "train") and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return sort_options(flat, path)


def option_groups(model: str = "inade") -> dict[str, type]:
    """{group: option dataclass} of a ``--model`` run: its family's model options, DataConfig,
    TrainOptions (the groups of ``opt.yaml``)."""
    from .data.options import DataConfig
    from .train_options import MODEL_CONFIGS, TrainOptions
    if model not in MODEL_CONFIGS:
        raise ValueError(f"--model {model!r} is not one of {sorted(MODEL_CONFIGS)}")
    return {"model": MODEL_CONFIGS[model], "data": DataConfig, "train": TrainOptions}


def sort_options(values: Mapping[str, Any], source: str, texts: bool = False):
    """A flat mapping of options as :class:`SavedOptions`: each option in its
    group(s), typed from text when ``texts``; the original's options without a field here in
    ``original``. Other keys are a ValueError naming ``source`` and them."""
    groups = option_groups(str(values.get("model", "inade")))
    types = {name: tp for cls in reversed(groups.values()) for name, tp in typing.get_type_hints(cls).items()
             if name in cls.__dataclass_fields__}
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
        for group, cls in groups.items():
            if name in cls.__dataclass_fields__:
                getattr(saved, group)[name] = value
    check_original_only(saved.original, source)
    return saved


def parse_opt_txt(path: str):
    """The original's ``opt.txt`` as :class:`SavedOptions` (see
    :func:`sort_options`). Raises ValueError naming the file and the line or option."""
    with open(path, encoding="utf-8") as fh:
        texts = parse_opt_lines(fh, path)
    saved = sort_options(texts, path, texts=True)
    if "norm_mode" not in saved.model:
        raise ValueError(f"{path}: no norm_mode in it; not an opt.txt of INADE's train.py")
    return saved
