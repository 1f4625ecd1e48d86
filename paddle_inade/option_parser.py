"""The tools' argument parser, and the one translation of option dataclass fields to arguments.

``python tools/train.py --nitre 3`` prints ``error: unknown option --nitre (did you mean
--niter?); see --help`` and exits 2, instead of argparse's full usage and no suggestion.
:func:`add_option` / :func:`add_fields` are how every tool turns typed options into arguments.
"""
from __future__ import annotations

import argparse
import dataclasses
import difflib
import typing
from typing import Any, Callable, Iterable, Mapping, Optional


class OptionParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line; an unknown option names the
    closest known ones."""

    def error(self, message: str):
        unknown = message.split("unrecognized arguments:", 1)
        if len(unknown) == 2:
            message = "; ".join(self._unknown(word) for word in unknown[1].split() if word.startswith("-"))
            message = message or f"unexpected argument(s):{unknown[1]}"
        self.exit(2, f"{self.prog}: error: {message}; see --help\n")

    def _unknown(self, word: str) -> str:
        option = word.split("=", 1)[0]
        known = [o for action in self._actions for o in action.option_strings if o.startswith("--")]
        close = difflib.get_close_matches(option, known, n=2, cutoff=0.75)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        return f"unknown option {option}{hint}"


def field_types(cls) -> dict[str, Any]:
    """{field name: type} of an option dataclass, ``Optional[X]`` given as ``X``."""
    hints = typing.get_type_hints(cls)
    return {f.name: _unwrap(hints[f.name]) for f in dataclasses.fields(cls)}


def _unwrap(tp):
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if args else tp


def parse_flag(text: str) -> bool:
    """A flag's optional value: ``--no_TTUR false`` turns off what a preset or config file set."""
    value = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text.lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


def add_option(group, name: str, tp, help_text: str = "") -> None:
    """``--name`` of type ``tp`` with its default suppressed (only what the user typed comes back
    from ``parse_args``). A bool is a flag as the originals' ``store_true`` (``--name`` alone: on),
    which also takes ``false`` (off: what a preset or file set)."""
    tp = _unwrap(tp)
    if tp is bool:
        group.add_argument(f"--{name}", nargs="?", const=True, type=parse_flag, metavar="false",
                           default=argparse.SUPPRESS, help=help_text)
    else:
        group.add_argument(f"--{name}", type=tp, default=argparse.SUPPRESS, help=help_text)


def add_fields(group, cls, shown: Callable[[str, Any], str], skip: Iterable[str] = (),
               only: Optional[Iterable[str]] = None, helps: Optional[Mapping[str, str]] = None) -> list[str]:
    """:func:`add_option` for each field of the dataclass ``cls`` (those in ``only`` if given, none in
    ``skip``), its help the option's line of ``helps`` (default: the training options'
    :data:`~paddle_inade.option_help.HELP`) and ``shown(name, default)`` (what its default is).
    Returns the names added."""
    from .option_help import HELP
    helps = HELP if helps is None else helps
    skip, only, types = set(skip), None if only is None else set(only), field_types(cls)
    added = []
    for field in dataclasses.fields(cls):
        if field.name in skip or (only is not None and field.name not in only):
            continue
        text = f"{helps.get(field.name, '')} {shown(field.name, field.default)}".strip()
        add_option(group, field.name, types[field.name], text)
        added.append(field.name)
    return added


def given(args: argparse.Namespace, names: Iterable[str]) -> dict[str, Any]:
    """The options among ``names`` that the command line gave (parsed with suppressed defaults)."""
    return {name: getattr(args, name) for name in names if hasattr(args, name)}
