"""AdaIN's encoder and decoder on the CPU through Paddle Inference with oneDNN: the fast path.

Paddle's eager CPU convolutions are slow on AdaIN's wide 3x3 layers (a 512x512 transfer takes
longer than pytorch-AdaIN's); the same layers as a static program run by a Paddle Inference
predictor with oneDNN take a fraction of it (``benchmarks/bench_style_transfer.py``,
``benchmarks/README.md`` section 13). :class:`OneDNNNetworks` exports the two networks' current weights once
(``paddle.jit.save`` into a temporary folder, read back by two predictors and deleted), and
remembers a copy of the weights: :meth:`OneDNNNetworks.matches` tells whether the networks
still hold them, so that a pipeline rebuilds the predictors when weights change instead of
running stale ones. The exported program is the same layers in the same order; the padding
and the upsampling are written with ops that take any map size (``StaticReflectionPad1``,
``StaticUpsample2x``; the same values as :mod:`.layers`). Outputs equal the eager networks'
to float32 rounding (summed in another order by oneDNN's kernels).

The eager networks stay the reference and the path on GPUs (:func:`choose_impl`).
"""
from __future__ import annotations

import os
import tempfile

import numpy as np
import paddle
from paddle import nn
from paddle.static import InputSpec

from .layers import NearestUpsample2x, ReflectionPad1
from .vgg import ENCODER_LAYERS

#: ``impl`` of AdaINPipeline: 'auto' = oneDNN on the CPU when Paddle has it, else 'reference'.
IMPLS = ("auto", "reference", "onednn")


def onednn_available() -> bool:
    """Paddle was built with oneDNN and has its inference API (the CPU wheels on PyPI are)."""
    try:
        from paddle.base import core
        from paddle import inference  # noqa: F401
    except ImportError:
        return False
    return bool(core.is_compiled_with_mkldnn())


def choose_impl(impl: str, device: str) -> str:
    """'reference' or 'onednn' for ``impl`` ('auto', 'reference', 'onednn') on ``device``."""
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    if impl == "onednn" and (device != "cpu" or not onednn_available()):
        raise ValueError(f"impl='onednn' runs on the CPU with a Paddle built with oneDNN; the networks are "
                         f"on {device!r}{'' if onednn_available() else ' and this Paddle has no oneDNN'}: "
                         "use impl='auto' or 'reference'")
    if impl == "auto":
        return "onednn" if device == "cpu" and onednn_available() else "reference"
    return impl


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


def _predictor(prefix: str, threads: int):
    from paddle import inference
    config = inference.Config(prefix + ".json", prefix + ".pdiparams")
    config.disable_gpu()
    config.enable_mkldnn()
    config.set_cpu_math_library_num_threads(threads)
    config.disable_glog_info()
    return inference.create_predictor(config)


def _weights(*nets) -> list[tuple[str, np.ndarray]]:
    return [(name, p.numpy()) for net in nets for name, p in net.named_parameters()]


class OneDNNNetworks:
    """Predictors of ``encoder`` (up to relu4_1) and ``decoder`` with their weights as they are now.

    Args:
        encoder: :class:`~.vgg.VGGEncoder`. decoder: :class:`~.decoder.Decoder`.
        threads: oneDNN's CPU threads.
    """

    def __init__(self, encoder, decoder, threads: int):
        self.threads = threads
        self._snapshot = _weights(encoder, decoder)
        encoder_part = static_layers([encoder[i] for i in range(min(len(encoder), ENCODER_LAYERS))])
        with tempfile.TemporaryDirectory(prefix="paddle_inade_adain_") as tmp:
            paddle.jit.save(encoder_part, os.path.join(tmp, "encoder"),
                            input_spec=[InputSpec([None, 3, None, None], "float32")])
            paddle.jit.save(static_layers(decoder), os.path.join(tmp, "decoder"),
                            input_spec=[InputSpec([None, 512, None, None], "float32")])
            self._encoder = _predictor(os.path.join(tmp, "encoder"), threads)
            self._decoder = _predictor(os.path.join(tmp, "decoder"), threads)

    def matches(self, encoder, decoder) -> bool:
        """The networks hold exactly the weights these predictors were built from."""
        now = [(name, p) for net in (encoder, decoder) for name, p in net.named_parameters()]
        return len(now) == len(self._snapshot) and all(
            name == old_name and tuple(p.shape) == old.shape and np.array_equal(p.numpy(), old)
            for (name, p), (old_name, old) in zip(now, self._snapshot))

    @staticmethod
    def _run(predictor, x: np.ndarray) -> np.ndarray:
        feed = predictor.get_input_handle(predictor.get_input_names()[0])
        feed.reshape(list(x.shape))
        feed.copy_from_cpu(np.ascontiguousarray(x, dtype=np.float32))
        predictor.run()
        return predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()

    def encode(self, x: np.ndarray) -> np.ndarray:
        """float32 [N, 3, H, W] -> relu4_1 [N, 512, h, w] (as ``VGGEncoder.encode``)."""
        return self._run(self._encoder, x)

    def decode(self, features: np.ndarray) -> np.ndarray:
        """float32 [N, 512, h, w] -> [N, 3, 8h, 8w] (as ``Decoder``)."""
        return self._run(self._decoder, features)
