"""What the user chose for OMP/MKL threads, told apart from what ``import paddle`` sets.

Importing paddle runs ``paddle.base.__bootstrap__``, which writes ``OMP_NUM_THREADS=1`` when
the variable is unset (or not an integer). ``paddle_inade/__init__.py`` calls
:func:`record_before_paddle` before it imports paddle and :func:`record_after_paddle` after,
so that :func:`user_choice` (used by ``device.set_cpu_threads``) can say which values are the
user's. This module must not import paddle.
"""
from __future__ import annotations

import os
import sys

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
PADDLE_DEFAULT = "1"  # what paddle.base.__bootstrap__ writes when OMP_NUM_THREADS is unset

_BEFORE: dict[str, str | None] = {}
_AFTER: dict[str, str | None] = {}


def initial_environ() -> dict[str, str] | None:
    """The environment this process started with (``/proc/self/environ``); None where unreadable.

    Later ``os.environ`` assignments (Paddle's among them) do not show in it.
    """
    try:
        with open("/proc/self/environ", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, _, v in pairs}


def _paddle_default(var: str, value: str | None) -> bool:
    """True if ``value`` of ``var``, read after paddle was imported, is likely Paddle's own."""
    if var != "OMP_NUM_THREADS" or value != PADDLE_DEFAULT:
        return False
    initial = initial_environ()
    return initial is None or var not in initial


def record_before_paddle() -> None:
    """Record the thread variables as the user left them (call before paddle_inade imports paddle).

    If the user imported paddle first, an ``OMP_NUM_THREADS=1`` that was not in the process's
    starting environment is Paddle's, so it counts as unset.
    """
    paddle_first = "paddle.base" in sys.modules
    for var in THREAD_VARS:
        value = os.environ.get(var)
        _BEFORE[var] = None if paddle_first and _paddle_default(var, value) else value


def record_after_paddle() -> None:
    """Record the thread variables as importing paddle left them."""
    _AFTER.update({var: os.environ.get(var) for var in THREAD_VARS})


def user_choice() -> dict[str, str | None]:
    """Each thread variable's value the user chose, None where the user chose nothing.

    A value changed since paddle_inade was imported is the user's; otherwise the value recorded
    before paddle's import is.
    """
    choice = {}
    for var in THREAD_VARS:
        now = os.environ.get(var)
        choice[var] = now if now != _AFTER.get(var) else _BEFORE.get(var)
    return choice
