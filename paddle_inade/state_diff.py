"""How a state dict differs from a network's, and the likely reason, in a short message.

:class:`StateDiff` lists the missing, unexpected and mis-shaped keys; :func:`mismatch_hint`
recognises common causes from the pattern (another network's file, the label channels, z_dim,
noise_nc, the width, the upsampling, the sketch branch, the norm layers) and names the option.
Used by :func:`paddle_inade.weights.load_weights`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import numpy as np


@dataclass
class StateDiff:
    """Keys of a state that do not fit a network's: missing, unexpected, and mis-shaped
    ``(key, file shape, network shape)``."""

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    shapes: list[tuple[str, list, list]] = field(default_factory=list)
    n_matching: int = 0
    file_keys: list[str] = field(default_factory=list)
    own_keys: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, own: Mapping[str, list], state: Mapping[str, np.ndarray]) -> "StateDiff":
        shapes = [(k, list(state[k].shape), own[k]) for k in own
                  if k in state and list(state[k].shape) != own[k]]
        return cls(missing=[k for k in own if k not in state], unexpected=[k for k in state if k not in own],
                   shapes=shapes, n_matching=sum(1 for k in own if k in state) - len(shapes),
                   file_keys=list(state), own_keys=list(own))

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.shapes)

    def message(self, source: str, net_name: str, options=None, hint: Optional[str] = None) -> str:
        """The error text; ``hint`` (default: :func:`mismatch_hint`) names the likely cause."""
        parts = [f"{len(self.shapes)} mis-shaped: " + _few(f"{k} (file {a}, network {b})" for k, a, b in self.shapes)
                 if self.shapes else "",
                 f"{len(self.missing)} missing: " + _few(self.missing) if self.missing else "",
                 f"{len(self.unexpected)} unexpected: " + _few(self.unexpected) if self.unexpected else ""]
        hint = mismatch_hint(self, options) if hint is None else hint
        return (f"{source} does not fit {net_name}: "
                + "; ".join(p for p in parts if p) + (f". Likely cause: {hint}" if hint else ""))


def _few(items, n: int = 6) -> str:
    items = list(items)
    return ", ".join(items[:n]) + (f", ... ({len(items) - n} more)" if len(items) > n else "")


_NETWORK_KEYS = (("discriminator_0.", "a discriminator (*_net_D)"), ("head_0.", "a generator (*_net_G)"),
                 ("scale_conv_mu.", "an instance encoder (*_net_E)"), ("fc_mu.", "a SPADE encoder (*_net_E)"),
                 ("Conv2d_1a_3x3.", "the FID Inception network"), ("features.0.", "VGG19"))


def _network_of(keys: Sequence[str]) -> Optional[str]:
    for prefix, name in _NETWORK_KEYS:
        if any(k.startswith(prefix) for k in keys):
            return name
    return None


def mismatch_hint(diff: StateDiff, options=None) -> str:
    """A sentence naming the likely cause of ``diff`` (an option when ``options``, the
    INADEConfig the network was built from, is given), or ''."""
    kind, own_kind = _network_of(diff.file_keys), _network_of(diff.own_keys)
    if kind and own_kind and kind != own_kind:
        return f"the file holds the weights of {kind}, not of {own_kind}; check which file you passed"
    if diff.n_matching == 0 and not diff.shapes:
        return (f"none of the file's {len(diff.file_keys)} keys belong to this network: "
                + (f"it holds the weights of {kind}" if kind else "it holds another network's weights")
                + "; check which file you passed")
    for rule in (_hint_structure, _hint_label_channels, _hint_sizes):
        hint = rule(diff, options)
        if hint:
            return hint
    return ""


_STATS = ("_mean", "_variance", "running_mean", "running_var", "num_batches_tracked")


def _hint_structure(diff: StateDiff, options) -> str:
    def any_key(keys, text):
        return any(text in k for k in keys)

    def only_stats(keys):
        return bool(keys) and all(k.endswith(_STATS) for k in keys)
    if any_key(diff.unexpected, "up_4.") or any_key(diff.missing, "up_4."):
        return ("--num_upsampling_layers: the file's generator " + ("has" if diff.unexpected else "lacks")
                + " the extra up_4 block of 'most'")
    if any_key(diff.unexpected, "sketch") or any_key(diff.missing, "sketch"):
        return "--add_sketch: the file " + ("has" if any_key(diff.unexpected, "sketch") else "has no") + " sketch branch"
    if any_key(diff.unexpected, "mlp_shared") and any_key(diff.missing, "fc_noise"):
        return "--norm_mode: the file is a SPADE generator (--norm_mode spade)"
    if any_key(diff.unexpected, "fc_noise") and any_key(diff.missing, "mlp_shared"):
        return "--norm_mode: the file is an INADE generator (--norm_mode inade)"
    for have, lack, uses in ((diff.unexpected, diff.missing, "uses"), (diff.missing, diff.unexpected, "does not use")):
        if any_key(have, "weight_orig") and any(k.endswith(".weight") for k in lack):
            return ("spectral normalisation (--norm_G / --norm_E / --norm_D with or without 'spectral'): the "
                    f"file {uses} it")
    if (only_stats(diff.unexpected) and not diff.missing) or (only_stats(diff.missing) and not diff.unexpected):
        return ("the normalisation layers (--norm_G / --norm_E / --norm_D, batch vs instance): the file "
                + ("has" if diff.unexpected else "lacks") + " running statistics")
    return ""


def _single_axis(shapes) -> Optional[list[tuple[str, int, int, int]]]:
    """[(key, axis, file size, network size)] when every mis-shaped key differs in one axis."""
    out = []
    for key, a, b in shapes:
        axes = [i for i, (x, y) in enumerate(zip(a, b)) if x != y] if len(a) == len(b) else []
        if len(axes) != 1:
            return None
        out.append((key, axes[0], a[axes[0]], b[axes[0]]))
    return out


def _hint_label_channels(diff: StateDiff, options) -> str:
    if options is None or not diff.shapes or diff.missing or diff.unexpected:
        return ""
    axes = _single_axis(diff.shapes)
    sizes = {options.label_channels, options.semantic_nc, options.semantic_nc + options.output_nc}
    ndims = {key: len(b) for key, _, b in diff.shapes}
    # label channels are axis 0 of ILADE's class tables [L, C, 2] and axis 1 (inputs) of a conv
    if not axes or any(model not in sizes or (ndims[key], axis) not in ((3, 0), (4, 1))
                       for key, axis, _, model in axes):
        return ""
    deltas = {file - model for _, _, file, model in axes}
    if len(deltas) != 1:
        return ""
    delta = deltas.pop()
    file_labels = options.label_channels + delta
    text = (f"the label channels: the file was trained with {file_labels} label channels, these options "
            f"give {options.label_channels} (--label_nc {options.label_nc}"
            f"{' + dontcare' if options.contain_dontcare_label else ''}); ")
    if delta == 1 and not options.contain_dontcare_label:
        return text + (f"add --contain_dontcare_label (the dataset's dontcare class), or pass "
                       f"--label_nc {options.label_nc + 1}")
    if delta == -1 and options.contain_dontcare_label:
        return text + ("the file has no dontcare channel: leave out --contain_dontcare_label, or pass "
                       f"--label_nc {options.label_nc - 1} with it")
    return text + f"pass --label_nc {options.label_nc + delta}"


def _hint_sizes(diff: StateDiff, options) -> str:
    if diff.missing or diff.unexpected:
        return ""
    axes = _single_axis(diff.shapes)
    if not axes:
        return _hint_width(diff, options)
    keys = {key: (axis, file) for key, axis, file, _ in axes}
    if set(keys) == {"fc.weight"} or set(keys) == {"fc.weight", "fc.bias"}:
        axis, file = keys["fc.weight"]
        if axis == 0 and "fc.bias" not in keys:
            return f"--z_dim: the file's generator takes a start vector of {file} values (--z_dim {file})"
        return ("the image size: the file's generator starts from another latent grid "
                "(--crop_size, --aspect_ratio, --num_upsampling_layers)")
    if all(k.endswith(("fc_noise.weight", "_conv_mu.weight", "_conv_var.weight", "_conv_mu.bias",
                       "_conv_var.bias")) for k in keys):
        sizes = {file for key, (axis, file) in keys.items() if key.endswith("fc_noise.weight") or axis == 0}
        return f"--noise_nc: the file's noise has {sorted(sizes)[0]} channels (--noise_nc {sorted(sizes)[0]})"
    return _hint_width(diff, options)


def _hint_width(diff: StateDiff, options) -> str:
    """Every mis-shaped size scaled by one factor: the base width (--ngf / --nef / --ndf)."""
    ratios = {file / model for _, a, b in diff.shapes for file, model in zip(a, b) if file != model}
    if len(ratios) != 1:
        return ""
    ratio = ratios.pop()
    if options is not None and float(options.ngf * ratio).is_integer():
        return f"the network width: --ngf {int(options.ngf * ratio)} (or --nef / --ndf) fits the file's sizes"
    return f"the network width (--ngf / --nef / --ndf): the file's layers are {ratio:g} times as wide"
