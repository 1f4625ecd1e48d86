"""Checkpoint files, written so that an interrupted save never damages the last good one.

Layout under ``checkpoints_dir/name/`` (the original's names):
``{tag}_net_G.pdparams``, ``{tag}_net_D.pdparams``, ``{tag}_net_E.pdparams`` (with an
encoder), ``{tag}_optim.pdopt`` (both optimisers) and ``{tag}_trainer.pdstate`` (epoch,
iteration, learning rate, RNG states; a pickle of plain values written by this module), ``tag`` being ``latest`` or the epoch number.

Every file of a save is first written completely under a temporary name in the same
folder; only then are they renamed into place, the trainer state last. A crash while
writing leaves the previous files untouched; the trainer state names the iteration
of the set it belongs to, and a mismatch is reported on load.
"""
from __future__ import annotations

import os
import pickle
from typing import Any, Mapping

import paddle


def _tmp_name(path: str) -> str:
    return f"{path}.tmp-{os.getpid()}"


def atomic_paddle_save(obj: Any, path: str) -> None:
    """``paddle.save`` to a temporary name, then rename over ``path``."""
    tmp = _tmp_name(path)
    try:
        paddle.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def atomic_write_text(text: str, path: str) -> None:
    tmp = _tmp_name(path)
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def checkpoint_paths(directory: str, tag: str, nets: Mapping[str, Any]) -> dict[str, str]:
    paths = {key: os.path.join(directory, f"{tag}_net_{key}.pdparams") for key in nets}
    paths["optim"] = os.path.join(directory, f"{tag}_optim.pdopt")
    paths["trainer"] = os.path.join(directory, f"{tag}_trainer.pdstate")
    return paths


def save_checkpoint(directory: str, tag: str, nets: Mapping[str, paddle.nn.Layer],
                    optimizers: Mapping[str, Any], trainer_state: Mapping[str, Any]) -> None:
    """Write all files of one checkpoint (see module doc for the guarantees)."""
    os.makedirs(directory, exist_ok=True)
    paths = checkpoint_paths(directory, tag, nets)
    payloads = {key: net.state_dict() for key, net in nets.items()}
    payloads["optim"] = {key: portable_optimizer_state(opt) for key, opt in optimizers.items()
                         if opt is not None}
    payloads["trainer"] = dict(trainer_state)
    temps = {}
    try:
        for key, payload in payloads.items():
            temps[key] = _tmp_name(paths[key])
            _write(key, payload, temps[key])
        for key in [k for k in payloads if k != "trainer"] + ["trainer"]:
            os.replace(temps.pop(key), paths[key])
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.remove(tmp)


def _write(key: str, payload: Any, path: str) -> None:
    if key == "trainer":  # plain Python values and RNG states: our own pickle
        with open(path, "wb") as fh:
            pickle.dump(payload, fh)
    else:
        paddle.save(payload, path)


def load_checkpoint(directory: str, tag: str, nets: Mapping[str, paddle.nn.Layer],
                    optimizers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Load nets (strictly: every key with its shape) and optimisers; return the trainer state."""
    paths = checkpoint_paths(directory, tag, nets)
    missing = [p for key, p in paths.items() if not os.path.isfile(p)
               and (key != "optim" or optimizers)]
    if missing:
        raise FileNotFoundError(f"checkpoint '{tag}' in {directory} is incomplete: missing {missing}")
    for key, net in nets.items():
        load_state_strict(net, paddle.load(paths[key]), paths[key])
    if optimizers:
        states = paddle.load(paths["optim"])
        for key, opt in optimizers.items():
            if opt is not None:
                opt.set_state_dict(restore_optimizer_state(opt, states[key], paths["optim"]))
    with open(paths["trainer"], "rb") as fh:
        return pickle.load(fh)


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


def load_state_strict(net: paddle.nn.Layer, state: Mapping[str, Any], source: str) -> None:
    """``set_state_dict`` that refuses missing, unexpected or mis-shaped keys, naming them."""
    own = net.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f"{k}: file {list(state[k].shape)} vs model {list(own[k].shape)}"
                    for k in set(own) & set(state) if list(state[k].shape) != list(own[k].shape))
    if missing or unexpected or shapes:
        from ..convert.family import family_hint
        raise ValueError(f"{source} does not match the model built from the options: "
                         f"missing {missing[:10]} ({len(missing)}), unexpected {unexpected[:10]} "
                         f"({len(unexpected)}), shape mismatches {shapes[:10]} ({len(shapes)})."
                         + family_hint(net, state, source))
    net.set_state_dict(state)
