"""Loading AdaIN weights: the released ``vgg_normalised.pth`` / ``decoder.pth`` (read without
torch, also in torch's pre-1.6 format) or ``.pdparams``, checked key by key.

The encoder accepts the whole released VGG (modules 0..52) or just its part up to relu4_1
(modules 0..30, what :meth:`AdaINPipeline.save_pretrained` writes); the keys of the unused
modules are checked against the released layout too, then dropped. Any missing,
unexpected or mis-shaped key is a :class:`~paddle_inade.weights.WeightMismatchError` that
lists them, and nothing is loaded (:func:`paddle_inade.weights.load_weights` does the loading).
"""
from __future__ import annotations

import os
from typing import Mapping, Union

import numpy as np

from ..weights import TorchState, WeightMismatchError, load_state_file, load_weights
from ..state_diff import StateDiff
from .decoder import decoder_shapes
from .vgg import FULL_LAYERS, vgg_normalised_shapes

PathLike = Union[str, os.PathLike]
RELEASE_URL = "https://github.com/naoto0804/pytorch-AdaIN/releases/tag/v0.0.0"
VGG_NAME, DECODER_NAME = "normalised VGG (vgg_normalised.pth)", "AdaIN decoder (decoder.pth)"


def read_state(path: PathLike, option: str) -> Mapping[str, np.ndarray]:
    """The state dict in ``path`` (``paddle_inade.weights.load_state_file``: a ``.pdparams``, or a
    ``.pth`` / ``.pth.tar`` of either torch format, read without torch)."""
    if not os.path.isfile(os.fspath(path)):
        raise FileNotFoundError(f"{os.fspath(path)}: no such file (from {option}); the released weights are "
                                f"at {RELEASE_URL} (vgg_normalised.pth, decoder.pth)")
    return load_state_file(path)


def _source(source, option: str, default_name: str):
    """(name, state) of a file path or a mapping."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source), read_state(source, option)
    return default_name, source


def _check(state: Mapping[str, np.ndarray], expected: Mapping[str, list], name: str, what: str) -> None:
    """WeightMismatchError listing every missing, unexpected and mis-shaped key."""
    diff = StateDiff.of(dict(expected), {k: np.asarray(v) for k, v in state.items()})
    if diff:
        raise WeightMismatchError(diff.message(name, f"the {what}") + f". Expected {what} weights ({RELEASE_URL}).")


def load_encoder_weights(encoder, source: Union[PathLike, Mapping[str, np.ndarray]],
                         option: str = "--vgg") -> None:
    """Load the released normalised VGG (whole, or up to relu4_1) into ``encoder``."""
    name, state = _source(source, option, "VGG state dict")
    own = vgg_normalised_shapes(encoder.n_layers)
    full = vgg_normalised_shapes(FULL_LAYERS)
    whole = any(k in state and k not in own for k in full)  # the whole released network: check, then drop
    _check(state, full if whole else own, name, VGG_NAME)
    kept = {k: v for k, v in state.items() if k in own}
    load_weights(encoder, TorchState(kept) if isinstance(state, TorchState) else kept, source=name)


def load_decoder_weights(decoder, source: Union[PathLike, Mapping[str, np.ndarray]],
                         option: str = "--decoder") -> None:
    """Load an AdaIN decoder (the released ``decoder.pth``, a trained one) into ``decoder``."""
    name, state = _source(source, option, "decoder state dict")
    _check(state, decoder_shapes(), name, DECODER_NAME)
    load_weights(decoder, state, source=name)


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def imagenet_vgg_state(n_layers: int) -> dict[str, np.ndarray]:
    """Paddle's ImageNet VGG-19 (``paddle.vision``; downloaded on first use, ~550 MB) in the
    normalised VGG's layout, for the first ``n_layers`` modules.

    Not the released ``vgg_normalised.pth`` (Caffe's VGG, rescaled): the first 1x1 convolution
    applies the ImageNet normalisation of [0, 1] RGB input, the 3x3 convolutions are Paddle's
    (trained with zero padding; here they run behind reflection padding as in AdaIN). A
    decoder trained on it belongs to it. RuntimeError when it cannot be had (offline).
    """
    try:
        from paddle.vision.models import vgg19
        source = {k: np.asarray(v.numpy()) for k, v in vgg19(pretrained=True).state_dict().items()}
    except Exception as exc:  # download, cache or archive failures come in many types
        raise RuntimeError(
            f"no VGG weights: Paddle's ImageNet VGG-19 could not be downloaded ({type(exc).__name__}: "
            f"{exc}). There are no pretrained VGG weights offline: download vgg_normalised.pth from "
            f"{RELEASE_URL} and pass --vgg FILE") from exc
    theirs = sorted((k for k in source if k.startswith("features.") and k.endswith(".weight")),
                    key=lambda k: int(k.split(".")[1]))
    ours = [k for k in vgg_normalised_shapes(n_layers) if k.endswith(".weight") and k != "0.weight"]
    mean, std = np.asarray(IMAGENET_MEAN, np.float32), np.asarray(IMAGENET_STD, np.float32)
    state = {"0.weight": np.diag(1.0 / std).astype(np.float32)[:, :, None, None],
             "0.bias": (-mean / std).astype(np.float32)}
    for our_key, their_key in zip(ours, theirs):
        state[our_key] = source[their_key]
        state[our_key.replace(".weight", ".bias")] = source[their_key.replace(".weight", ".bias")]
    return state
