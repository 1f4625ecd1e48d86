"""The trainer state file of a checkpoint (``<tag>_trainer.pdstate``): JSON, so reading it
runs nothing.

It holds plain values: epoch, iteration, learning rate, the digests of the other files of
the save, and Paddle's RNG state (:func:`encode_rng_state`: each generator's
``GeneratorState.__getstate__()``, a tuple of integers, as a list). Run folders written before
the JSON format hold a pickle of the same values; :func:`read_trainer_state` still reads those,
through the allow-listed unpickler (:mod:`paddle_inade.safe_pickle`), which admits exactly one
global besides containers and numbers: ``paddle.base.libpaddle.GeneratorState``, rebuilt from
its integer state by :func:`decode_rng_state`.
"""
from __future__ import annotations

import json
import math
from typing import Any

import paddle

from ..safe_pickle import DamagedFileError, UnsafeFileError, load_restricted

FORMAT = "paddle_inade trainer state 1"


class _RngRecord:
    """A ``GeneratorState`` of an old pickled trainer state: only its ``__setstate__`` tuple."""

    def __init__(self, *_args):
        self.state = None

    def __setstate__(self, state):
        self.state = state


_LEGACY_GLOBALS = {("paddle.base.libpaddle", "GeneratorState"): _RngRecord,
                   ("paddle.fluid.libpaddle", "GeneratorState"): _RngRecord}


def encode_rng_state(states) -> list[list]:
    """``paddle.get_rng_state()`` as JSON values."""
    return [_plain(state.__getstate__()) for state in states]


def decode_rng_state(encoded, source: str = "trainer state") -> list:
    """The ``GeneratorState`` objects for ``paddle.set_rng_state`` from :func:`encode_rng_state`'s
    values (or an old pickle's records). ValueError naming ``source`` when they are not such."""
    if not isinstance(encoded, list) or not encoded:
        raise ValueError(f"{source}: 'paddle_rng' is not a list of generator states")
    cls = type(paddle.get_rng_state()[0])
    out = []
    for item in encoded:
        state = item.state if isinstance(item, _RngRecord) else item
        if not (isinstance(state, (list, tuple)) and len(state) == 4
                and all(isinstance(v, int) for v in state[:3])
                and isinstance(state[3], (list, tuple))
                and all(isinstance(v, int) and 0 <= v < 256 for v in state[3])):
            raise ValueError(f"{source}: a generator state is not (seed, seed, offset, [bytes])")
        generator = cls.__new__(cls)
        generator.__setstate__((state[0], state[1], state[2], list(state[3])))
        out.append(generator)
    return out


def _plain(value):
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


def trainer_state_json(state: dict[str, Any]) -> str:
    """``state`` (plain values) as the file's text; a value JSON cannot hold exactly is a
    TypeError here, at save time, not a surprise at resume."""
    def check(value):
        if isinstance(value, float) and not math.isfinite(value):
            raise TypeError(f"trainer state value {value} is not a finite number")
        if isinstance(value, dict):
            for v in value.values():
                check(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                check(v)
        elif not isinstance(value, (str, int, float, bool, type(None))):
            raise TypeError(f"trainer state value of type {type(value).__name__} is not a plain value")
    check(state)
    return json.dumps({"format": FORMAT, **state}, indent=1)


def read_trainer_state(path: str) -> dict[str, Any]:
    """The values in ``path``: JSON, or an older run's pickle read through the allow-list.
    ValueError naming the file (and what to do) when it is neither or is damaged."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data.startswith(b"\x80"):
        return _read_legacy(data, path)
    try:
        state = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a trainer state (JSON) or it is damaged ({exc}); resume from "
                         "another --which_epoch") from exc
    if not isinstance(state, dict) or state.pop("format", None) != FORMAT:
        raise ValueError(f"{path}: not a trainer state written by paddle_inade (no format '{FORMAT}')")
    return state


def _read_legacy(data: bytes, path: str) -> dict[str, Any]:
    try:
        state = load_restricted(data, _LEGACY_GLOBALS, path)
    except UnsafeFileError:
        raise
    except DamagedFileError as exc:
        raise ValueError(f"{path}: a damaged trainer state ({exc}); resume from another --which_epoch") from exc
    if not isinstance(state, dict):
        raise ValueError(f"{path}: holds a {type(state).__name__}, not a trainer state")
    return state
