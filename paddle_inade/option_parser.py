"""The tools' argument parser: argparse, with a mistyped option answered in one line.

``python tools/train.py --nitre 3`` prints ``error: unknown option --nitre (did you mean
--niter?); see --help`` and exits 2, instead of argparse's full usage and no suggestion.
"""
from __future__ import annotations

import argparse
import difflib


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

