"""Loading AdaIN weights: the released ``vgg_normalised.pth`` / ``decoder.pth`` (read without
torch, also in torch's pre-1.6 format) or ``.pdparams``, checked key by key.

The encoder accepts the whole released VGG (modules 0..52) or just its part up to relu4_1
(modules 0..30, what :meth:`AdaINPipeline.save_pretrained` writes); the keys of the unused
modules are checked against the released layout too, then dropped. Any missing,
unexpected or mis-shaped key is a :class:`~paddle_inade.convert.WeightMismatchError` that
lists them, and nothing is loaded.
"""
from __future__ import annotations

import os
from typing import Mapping, Union

import numpy as np
import paddle

from ..convert import WeightMismatchError, read_torch_checkpoint
from ..convert.name_map import load_paddle_state
from .decoder import decoder_shapes
from .vgg import FULL_LAYERS, vgg_normalised_shapes

PathLike = Union[str, os.PathLike]
RELEASE_URL = "https://github.com/naoto0804/pytorch-AdaIN/releases/tag/v0.0.0"


def read_state(path: PathLike, option: str) -> dict[str, np.ndarray]:
    """A state dict of arrays from ``path``: ``.pdparams`` through ``paddle.load``, anything
    else (``.pth``, ``.pth.tar``, ``.pt``) through the torch-free reader."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file (from {option}); the released weights are at "
                                f"{RELEASE_URL} (vgg_normalised.pth, decoder.pth)")
    if not path.endswith(".pdparams"):
        return dict(read_torch_checkpoint(path))
    try:
        state = paddle.load(path, return_numpy=True)
    except Exception as exc:  # paddle raises assorted types for foreign files
        raise ValueError(f"{path}: not a Paddle state dict ({type(exc).__name__}: {exc})") from exc
    if not isinstance(state, Mapping):
        raise ValueError(f"{path}: holds a {type(state).__name__}, not a state dict")
    return {k: np.asarray(v) for k, v in state.items()}


def _check(state: Mapping[str, np.ndarray], expected: Mapping[str, list], source: str, what: str,
           optional: frozenset = frozenset()) -> None:
    """WeightMismatchError listing every missing, unexpected and mis-shaped key."""
    missing = [k for k in expected if k not in state and k not in optional]
    unexpected = [k for k in state if k not in expected]
    shapes = [f"{k} (file {list(np.shape(v))}, network {expected[k]})" for k, v in state.items()
              if k in expected and list(np.shape(v)) != list(expected[k])]
    problems = [f"{len(items)} {kind}: {', '.join(items[:12])}{' ...' if len(items) > 12 else ''}"
                for kind, items in (("missing", missing), ("unexpected", unexpected),
                                    ("shape mismatches", shapes)) if items]
    if problems:
        raise WeightMismatchError(f"{source} does not fit the {what}: " + "; ".join(problems)
                                  + f". Expected {what} weights ({RELEASE_URL}).")


def load_encoder_weights(encoder, source: Union[PathLike, Mapping[str, np.ndarray]],
                         option: str = "--vgg") -> None:
    """Load the released normalised VGG (whole, or up to relu4_1) into ``encoder``."""
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "VGG state dict"
    state = read_state(source, option) if isinstance(source, (str, os.PathLike)) else dict(source)
    own = vgg_normalised_shapes(encoder.n_layers)
    full = vgg_normalised_shapes(FULL_LAYERS)
    beyond = frozenset(k for k in full if k not in own)
    if any(k in state for k in beyond):  # the whole released network: all its keys, then drop
        _check(state, full, name, "normalised VGG (vgg_normalised.pth)")
    else:
        _check(state, own, name, "normalised VGG (vgg_normalised.pth)")
    load_paddle_state(encoder, {k: v for k, v in state.items() if k in own}, name)


def load_decoder_weights(decoder, source: Union[PathLike, Mapping[str, np.ndarray]],
                         option: str = "--decoder") -> None:
    """Load an AdaIN decoder (the released ``decoder.pth``, a trained one) into ``decoder``."""
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "decoder state dict"
    state = read_state(source, option) if isinstance(source, (str, os.PathLike)) else dict(source)
    _check(state, decoder_shapes(), name, "AdaIN decoder (decoder.pth)")
    load_paddle_state(decoder, state, name)


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
