"""Checkpoint files, written so that an interrupted save never damages the last good one.

Layout under ``checkpoints_dir/name/`` (the original's names):
``{tag}_net_G.pdparams``, ``{tag}_net_D.pdparams``, ``{tag}_net_E.pdparams`` (with an
encoder), ``{tag}_optim.pdopt`` (both optimisers) and ``{tag}_trainer.pdstate`` (epoch,
iteration, learning rate, RNG states: JSON, see :mod:`.trainer_state`), ``tag`` being ``latest``
or the epoch number. Nothing is read with ``paddle.load`` or ``pickle.load``: the weights and
optimiser files go through the allow-listed reader (:mod:`paddle_inade.safe_pickle`).

Every file of a save is first written completely under a temporary name in the same
folder; only then are they renamed into place, the trainer state last. A crash while
writing leaves the previous files untouched. The trainer state records a digest of every
other file of its save, and loading refuses a file whose digest differs (a crash between
the renames would leave such a mixed set).
"""
from __future__ import annotations

import hashlib
import os
from typing import Any, Mapping

import paddle

from ..files import atomic_write_all
from ..weights import load_weights
from ..safe_pickle import DamagedFileError, UnsafeFileError, read_paddle_file
from .trainer_state import read_trainer_state, trainer_state_json


def checkpoint_paths(directory: str, tag: str, nets: Mapping[str, Any]) -> dict[str, str]:
    paths = {key: os.path.join(directory, f"{tag}_net_{key}.pdparams") for key in nets}
    paths["optim"] = os.path.join(directory, f"{tag}_optim.pdopt")
    paths["trainer"] = os.path.join(directory, f"{tag}_trainer.pdstate")
    return paths


def save_checkpoint(directory: str, tag: str, nets: Mapping[str, paddle.nn.Layer],
                    optimizers: Mapping[str, Any], trainer_state: Mapping[str, Any]) -> None:
    """Write all files of one checkpoint (see module doc for the guarantees)."""
    paths = checkpoint_paths(directory, tag, nets)
    payloads = {key: net.state_dict() for key, net in nets.items()}
    payloads["optim"] = {key: portable_optimizer_state(opt) for key, opt in optimizers.items()
                         if opt is not None}
    digests: dict[str, str] = {}

    def writer(key: str):
        def write(tmp: str) -> None:
            paddle.save(payloads[key], tmp)
            digests[os.path.basename(paths[key])] = file_digest(tmp)
        return write

    def write_trainer(tmp: str) -> None:  # plain values as JSON, with the others' digests
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(trainer_state_json({**trainer_state, "files": digests}))

    # all written before any is renamed; the trainer state (written last) is renamed last
    atomic_write_all([(paths[key], writer(key)) for key in payloads] + [(paths["trainer"], write_trainer)])


def file_digest(path: str) -> str:
    """BLAKE2b of a file's bytes (hex)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_same_save(paths: Mapping[str, str], trainer_state: Mapping[str, Any]) -> None:
    """Every file must be the one written with the trainer state (a crash between the
    renames of one save could otherwise leave a mixed set)."""
    recorded = trainer_state.get("files", {})
    for key, path in paths.items():
        name = os.path.basename(path)
        if key != "trainer" and name in recorded and os.path.isfile(path) and file_digest(path) != recorded[name]:
            raise ValueError(f"{path} was not written together with {paths['trainer']} (a save was "
                             "interrupted between renames?): the checkpoint is a mixed set; resume from "
                             "another --which_epoch")


def load_checkpoint(directory: str, tag: str, nets: Mapping[str, paddle.nn.Layer],
                    optimizers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Load nets (strictly: every key with its shape) and optimisers; return the trainer state."""
    paths = checkpoint_paths(directory, tag, nets)
    missing = [p for key, p in paths.items() if not os.path.isfile(p)
               and (key != "optim" or optimizers)]
    if missing:
        raise FileNotFoundError(f"checkpoint '{tag}' in {directory} is incomplete: missing {missing}")
    trainer_state = read_trainer_state(paths["trainer"])
    _check_same_save(paths, trainer_state)
    for key, net in nets.items():
        load_weights(net, paths[key])
    if optimizers:
        states = _read_optimizer_file(paths["optim"], [k for k, o in optimizers.items() if o is not None])
        for key, opt in optimizers.items():
            if opt is not None:
                opt.set_state_dict(restore_optimizer_state(opt, states[key], paths["optim"]))
    return trainer_state


def _read_optimizer_file(path: str, keys: list[str]) -> dict[str, Any]:
    """{optimiser key: its state} from ``path`` through the allow-listed reader; the arrays
    become tensors (what ``set_state_dict`` takes). ValueError naming the file otherwise."""
    try:
        states = read_paddle_file(path)
    except UnsafeFileError:
        raise
    except DamagedFileError as exc:
        raise ValueError(f"{path}: not a readable optimiser state ({exc}); resume from another "
                         "--which_epoch") from exc
    missing = [k for k in keys if not isinstance(states, dict) or not isinstance(states.get(k), dict)]
    if missing:
        raise ValueError(f"{path}: holds no optimiser state for {missing}; resume from another --which_epoch")
    return {key: {name: paddle.to_tensor(value) if hasattr(value, "dtype") else value
                  for name, value in states[key].items()} for key in keys}


def _param_names(opt) -> list[str]:
    return [p.name for p in opt._parameter_list]


def portable_optimizer_state(opt) -> dict[str, Any]:
    """The optimiser's state with Paddle's per-process parameter names (``linear_3.w_0``)
    replaced by the parameter's position, so another process can load it."""
    names = sorted(enumerate(_param_names(opt)), key=lambda item: -len(item[1]))
    out = {}
    for key, value in opt.state_dict().items():
        for index, name in names:
            if key.startswith(name + "_"):
                key = f"param{index}:{key[len(name):]}"
                break
        out[key] = value
    return out


def restore_optimizer_state(opt, state: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Inverse of :func:`portable_optimizer_state` for the optimiser ``opt``."""
    names = _param_names(opt)
    out = {}
    for key, value in state.items():
        if key.startswith("param") and ":" in key:
            index = int(key[len("param"):key.index(":")])
            if index >= len(names):
                raise ValueError(f"{source}: optimiser state for parameter {index}, but the "
                                 f"model has {len(names)} parameters")
            key = names[index] + key[key.index(":") + 1:]
        out[key] = value
    return out
