"""AdaIN's encoder and decoder on the CPU as Paddle Inference programs with oneDNN: the fast path.

Paddle's eager CPU convolutions are slow on AdaIN's wide 3x3 layers (a 512x512 transfer takes
longer than pytorch-AdaIN's); the same layers as :class:`~paddle_inade.nn.onednn_program.OneDNNProgram`
take a fraction of it (``benchmarks/bench_style_transfer.py``, ``benchmarks/README.md`` section 13).
:class:`OneDNNNetworks` is the two programs, built from the networks' current weights and for
any map size: the padding and the upsampling are written with ops that take any size
(``StaticReflectionPad1``, ``StaticUpsample2x``; the same values as :mod:`.layers`).
The eager networks stay the reference and the path on GPUs.
"""
from __future__ import annotations

import numpy as np
import paddle
from paddle import nn

from ..nn.onednn_program import IMPLS, OneDNNProgram, choose_impl, onednn_available  # noqa: F401
from .layers import NearestUpsample2x, ReflectionPad1
from .vgg import ENCODER_LAYERS


class StaticReflectionPad1(nn.Layer):
    """:class:`~.layers.ReflectionPad1` for a program of any map size: [N, C, H, W] -> [N, C, H+2, W+2]."""

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        x = paddle.concat([x[:, :, 1:2], x, x[:, :, -2:-1]], axis=2)
        return paddle.concat([x[:, :, :, 1:2], x, x[:, :, :, -2:-1]], axis=3)


class StaticUpsample2x(nn.Layer):
    """2x nearest upsampling for a program of any map size: [N, C, H, W] -> [N, C, 2H, 2W]."""

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        rows = paddle.stack([x, x], axis=-1).flatten(3)           # [N, C, H, 2W]
        return paddle.stack([rows, rows], axis=3).flatten(2, 3)  # [N, C, 2H, 2W]


def static_layers(layers) -> nn.Sequential:
    """The same layers (weights shared, not copied) with the padding and upsampling swapped for
    their any-size versions."""
    swap = {ReflectionPad1: StaticReflectionPad1, NearestUpsample2x: StaticUpsample2x}
    return nn.Sequential(*[swap[type(m)]() if type(m) in swap else m for m in layers])


def _parts(encoder, decoder) -> tuple[nn.Sequential, nn.Sequential]:
    """The encoder up to relu4_1 and the decoder, as any-size layers."""
    return (static_layers([encoder[i] for i in range(min(len(encoder), ENCODER_LAYERS))]),
            static_layers(decoder))


class OneDNNNetworks:
    """Programs of ``encoder`` (up to relu4_1) and ``decoder`` with their weights as they are now.

    Args:
        encoder: :class:`~.vgg.VGGEncoder`. decoder: :class:`~.decoder.Decoder`.
        threads: oneDNN's CPU threads.
    """

    def __init__(self, encoder, decoder, threads: int):
        self.threads = threads
        enc, dec = _parts(encoder, decoder)
        self._encoder = OneDNNProgram(enc, [[None, 3, None, None]], threads)
        self._decoder = OneDNNProgram(dec, [[None, 512, None, None]], threads)

    def matches(self, encoder, decoder) -> bool:
        """The networks hold exactly the weights these programs were built from."""
        enc, dec = _parts(encoder, decoder)
        return self._encoder.matches(enc) and self._decoder.matches(dec)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """float32 [N, 3, H, W] -> relu4_1 [N, 512, h, w] (as ``VGGEncoder.encode``)."""
        return self._encoder(x)

    def decode(self, features: np.ndarray) -> np.ndarray:
        """float32 [N, 512, h, w] -> [N, 3, 8h, 8w] (as ``Decoder``)."""
        return self._decoder(features)
