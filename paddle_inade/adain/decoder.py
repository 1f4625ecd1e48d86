"""The AdaIN decoder, in the layer layout of pytorch-AdaIN's ``net.decoder``.

It mirrors the encoder up to relu4_1: 3x3 convolutions behind one-pixel reflection
paddings, ReLUs, and nearest-neighbour 2x upsampling where the encoder pools. Its state
keys are the module indices of the original's ``Sequential`` (``1.weight``, ``5.weight``,
...), so the released ``decoder.pth`` loads key by key.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
from paddle import nn

from .layers import NearestUpsample2x, ReflectionPad1

#: (in, out) of each 3x3 convolution, 'U' = 2x nearest upsampling. The last conv has no ReLU.
DECODER_CONVS = ((512, 256), "U", (256, 256), (256, 256), (256, 256), (256, 128), "U",
                 (128, 128), (128, 64), "U", (64, 64), (64, 3))


def decoder_spec() -> list[tuple]:
    """The 29 modules as ('pad',) / ('conv', in, out) / ('relu',) / ('up',) tuples."""
    spec = []
    for entry in DECODER_CONVS:
        if entry == "U":
            spec.append(("up",))
        else:
            spec += [("pad",), ("conv", entry[0], entry[1]), ("relu",)]
    return spec[:-1]  # the output convolution is linear


def decoder_shapes() -> "OrderedDict[str, list[int]]":
    """State keys and shapes of :class:`Decoder` (no weights are allocated)."""
    shapes = OrderedDict()
    for index, entry in enumerate(decoder_spec()):
        if entry[0] == "conv":
            shapes[f"{index}.weight"] = [entry[2], entry[1], 3, 3]
            shapes[f"{index}.bias"] = [entry[2]]
    return shapes


def _module(entry: tuple) -> nn.Layer:
    kind = entry[0]
    if kind == "conv":
        return nn.Conv2D(entry[1], entry[2], 3)
    if kind == "pad":
        return ReflectionPad1()
    if kind == "relu":
        return nn.ReLU()
    return NearestUpsample2x()


class Decoder(nn.Sequential):
    """relu4_1-like features [N, 512, h, w] -> image [N, 3, 8h, 8w] (RGB, about [0, 1], unclipped)."""

    def __init__(self):
        super().__init__(*[_module(e) for e in decoder_spec()])


def init_decoder(decoder: Decoder, seed: int) -> None:
    """PyTorch's default Conv2d initialisation (what the original trains from), drawn from
    ``numpy.random.RandomState(seed)``: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    Paddle's global random state is not touched."""
    rng = np.random.RandomState(seed)
    for key, param in decoder.state_dict().items():
        conv = decoder[int(key.split(".")[0])]
        fan_in = conv.weight.shape[1] * math.prod(conv.weight.shape[2:])
        bound = 1.0 / math.sqrt(fan_in)
        param.set_value(rng.uniform(-bound, bound, param.shape).astype(np.float32))


def decoder_output_size(height: int, width: int) -> tuple[int, int]:
    """The decoder's output size for an encoder input of ``height`` x ``width``: each of the
    encoder's three pools rounds up, each upsampling doubles (so 8 * ceil-ish, >= the input)."""
    def down(n: int) -> int:
        for _ in range(3):
            n = -(-n // 2)
        return n
    return 8 * down(height), 8 * down(width)
