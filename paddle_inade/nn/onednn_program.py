"""A network run on the CPU as a Paddle Inference program with oneDNN: the inference fast path.

Paddle's eager CPU convolutions go through MKL's im2col and GEMM and are slow on wide 3x3 and
grouped layers; the same layers exported as a static program (``paddle.jit.save``) and run by a
Paddle Inference predictor with oneDNN take a fraction of the time (``benchmarks/README.md``,
sections 13-14). :class:`OneDNNProgram` exports a layer as it is now (into a temporary folder,
read back by the predictor and deleted). :class:`ProgramCache` holds a layer's programs with a
fingerprint of its weights and buffers (name, shape, dtype and CRC-32 of every tensor, read in
place) and drops them when the fingerprint changes, so that a pipeline never runs a stale
program. Outputs equal the eager layer's to float32 rounding (oneDNN sums in another order).
:func:`fall_back` is what a pipeline with ``impl='auto'`` does when a program fails.

Paddle 3.3's oneDNN conv-fusion rewrites crash (a segfault while building the predictor) on
GroupDNet's and INADE's generators, so every program leaves :data:`RISKY_PASSES` out (AdaIN's
networks would gain about 5 % from them: not worth an uncatchable crash on another Paddle version).
The eager layers stay the reference and the path on GPUs (:func:`choose_impl`).
"""
from __future__ import annotations

import logging
import os
import tempfile
import zlib

import numpy as np
import paddle
from paddle.static import InputSpec

log = logging.getLogger(__name__)

#: ``impl`` of the pipelines that have this path: 'auto' = oneDNN on the CPU when Paddle has it.
IMPLS = ("auto", "reference", "onednn")
#: oneDNN rewrites left out (the conv + bias / add / activation fusions).
RISKY_PASSES = ("conv_bias_onednn_fuse_pass", "conv_elementwise_add_onednn_fuse_pass",
                "conv_activation_onednn_fuse_pass", "conv2d_bias_fuse_pass", "conv2d_add_fuse_pass",
                "conv2d_add_act_fuse_pass")


def onednn_available() -> bool:
    """Paddle was built with oneDNN and has its inference API (the CPU wheels on PyPI are)."""
    try:
        from paddle.base import core
        from paddle import inference  # noqa: F401
    except ImportError:
        return False
    return bool(core.is_compiled_with_mkldnn())


def check_impl(impl: str) -> str:
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    return impl


def choose_impl(impl: str, device: str) -> str:
    """'reference' or 'onednn' for ``impl`` ('auto', 'reference', 'onednn') on ``device``."""
    check_impl(impl)
    if impl == "onednn" and (device != "cpu" or not onednn_available()):
        raise ValueError(f"impl='onednn' runs on the CPU with a Paddle built with oneDNN; the networks are "
                         f"on {device!r}{'' if onednn_available() else ' and this Paddle has no oneDNN'}: "
                         "use impl='auto' or 'reference'")
    if impl == "auto":
        return "onednn" if device == "cpu" and onednn_available() else "reference"
    return impl


def fingerprint(layer) -> list[tuple]:
    """(name, shape, dtype, CRC-32 of the bytes) of every tensor of ``layer``'s state, read in place
    (DLPack views of CPU tensors: no copy; about 7 GB/s)."""
    out = []
    for name, value in layer.state_dict().items():
        data = np.ascontiguousarray(np.from_dlpack(value.detach()))
        out.append((name, tuple(data.shape), str(data.dtype), zlib.crc32(data)))
    return out


class OneDNNProgram:
    """``layer``'s forward as a oneDNN predictor, with the layer's weights as they are now.

    Args:
        layer: an ``nn.Layer`` in eval mode whose forward takes float32 tensors.
        shapes: one shape per input (None for a size the program takes any value of).
        threads: oneDNN's CPU threads.
    """

    def __init__(self, layer, shapes: list[list], threads: int):
        specs = [InputSpec(list(shape), "float32", f"input_{i}") for i, shape in enumerate(shapes)]
        with tempfile.TemporaryDirectory(prefix="paddle_inade_program_") as tmp:
            prefix = os.path.join(tmp, "program")
            with paddle.set_grad_enabled(True):  # layers that work in place without autograd
                paddle.jit.save(layer, prefix, input_spec=specs)  # trace their out-of-place ops
            self._predictor = _predictor(prefix, threads)

    def __call__(self, *inputs: np.ndarray) -> np.ndarray:
        """The first output of the program for float32 ``inputs``."""
        predictor = self._predictor
        for name, x in zip(predictor.get_input_names(), inputs):
            feed = predictor.get_input_handle(name)
            feed.reshape(list(x.shape))
            feed.copy_from_cpu(np.ascontiguousarray(x, dtype=np.float32))
        predictor.run()
        return predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()


def _predictor(prefix: str, threads: int):
    from paddle import inference
    config = inference.Config(prefix + ".json", prefix + ".pdiparams")
    config.disable_gpu()
    config.enable_mkldnn()
    for name in RISKY_PASSES:
        config.delete_pass(name)
    config.set_cpu_math_library_num_threads(threads)
    config.disable_glog_info()
    return inference.create_predictor(config)


class ProgramCache:
    """The programs of one layer, one per list of input shapes, all dropped when the layer's
    weights change (one fingerprint per call) or another thread count is asked for.

    Args:
        build: ``layer -> nn.Layer`` whose forward the programs run (e.g. a wrapper that fixes
            some arguments); called at export time only.
    """

    def __init__(self, build):
        self.build = build
        self._programs: dict = {}
        self._key = None

    def get(self, layer, shapes: list[list], threads: int) -> OneDNNProgram:
        key = (threads, fingerprint(layer))
        if key != self._key:
            self._programs, self._key = {}, key
        index = tuple(tuple(s) for s in shapes)
        if index not in self._programs:
            self._programs[index] = OneDNNProgram(self.build(layer), shapes, threads)
        return self._programs[index]


def fall_back(pipeline, exc: Exception, what: str) -> None:
    """A program of ``pipeline`` failed with ``exc``: re-raise with ``impl='onednn'``; with 'auto',
    log a warning and set ``pipeline.impl`` to 'reference' (eager from then on)."""
    if pipeline.impl == "onednn":
        raise exc
    log.warning("%s: the oneDNN %s failed (%s: %s); running eagerly from now on (impl='reference')",
                type(pipeline).__name__, what, type(exc).__name__, exc)
    pipeline.impl = "reference"
