"""Export the generator as a static graph (``paddle.jit.save``) for a fixed input size.

The exported program takes (input_semantics [N, semantic_nc, H, W], input_instances
[N, K, H, W], noise [N, K, 2, noise_nc], noise_ins [N, z_dim]) for inade, or
(input_semantics, z [N, z_dim]) / (input_semantics,) for spade, and returns the image
[N, 3, H, W] in [-1, 1]. The noises are inputs, so the caller controls diversity.
Beside the program, ``<prefix>.inputs.yaml`` lists its inputs (name, shape), which
:func:`load_exported` checks a feed against before running it.
"""
from __future__ import annotations

import glob
import os

import paddle
import yaml
from paddle.static import InputSpec

from .config import INADEConfig
from .files import temporary_sibling


class InadeExport(paddle.nn.Layer):
    """inade: (semantics, instances, noise, noise_ins) -> image; no random op in the graph."""

    def __init__(self, netG):
        super().__init__()
        self.netG = netG

    def forward(self, input_semantics, input_instances, noise, noise_ins):
        return self.netG(input_semantics, input_instances=input_instances, noise=noise,
                         noise_ins=noise_ins)


class SpadeVaeExport(paddle.nn.Layer):
    """spade with use_vae: (semantics, z) -> image."""

    def __init__(self, netG):
        super().__init__()
        self.netG = netG

    def forward(self, input_semantics, z):
        return self.netG(input_semantics, z=z)


class SpadeExport(paddle.nn.Layer):
    """spade without VAE: (semantics,) -> image (deterministic)."""

    def __init__(self, netG):
        super().__init__()
        self.netG = netG

    def forward(self, input_semantics):
        return self.netG(input_semantics)


def input_specs(cfg: INADEConfig, batch: int, n_instances: int) -> list[InputSpec]:
    h, w = cfg.image_size
    specs = [InputSpec([batch, cfg.semantic_nc, h, w], "float32", "input_semantics")]
    if cfg.is_inade:
        specs += [InputSpec([batch, n_instances, h, w], "float32", "input_instances"),
                  InputSpec([batch, n_instances, 2, cfg.noise_nc], "float32", "noise"),
                  InputSpec([batch, cfg.z_dim], "float32", "noise_ins")]
    elif cfg.use_vae:
        specs.append(InputSpec([batch, cfg.z_dim], "float32", "z"))
    return specs


def export_generator(netG, cfg: INADEConfig, path_prefix: str, batch: int = 1,
                     n_instances: int = 32) -> list[InputSpec]:
    """Write ``path_prefix.json/.pdiparams`` (Paddle 3 static program + weights) and
    ``.inputs.yaml`` (the inputs' names and shapes, for :func:`load_exported`). The files
    are written under temporary names and renamed when all are complete (folders are created).

    ``n_instances`` K: instance channels of the inputs, the most instances a layout may have
    (fewer are zero-padded, see :meth:`~paddle_inade.pipeline.INADEPipeline.export_inputs`).
    """
    if batch < 1 or n_instances < 1:
        raise ValueError(f"batch ({batch}) and n_instances ({n_instances}) must be >= 1")
    netG.eval()
    wrapper = InadeExport if cfg.is_inade else SpadeVaeExport if cfg.use_vae else SpadeExport
    layer = wrapper(netG)
    layer.eval()
    specs = input_specs(cfg, batch, n_instances)
    static = paddle.jit.to_static(layer, input_spec=specs, full_graph=True)
    os.makedirs(os.path.dirname(os.path.abspath(path_prefix)), exist_ok=True)
    tmp = temporary_sibling(path_prefix)
    try:
        paddle.jit.save(static, tmp)
        with open(tmp + INPUTS_SUFFIX, "w") as fh:
            yaml.safe_dump({"inputs": [{"name": sp.name, "shape": list(sp.shape)} for sp in specs],
                            "n_instances": n_instances if cfg.is_inade else None}, fh, sort_keys=False)
        for written in sorted(glob.glob(glob.escape(tmp) + ".*")):
            os.replace(written, os.fspath(path_prefix) + written[len(tmp):])
    finally:
        for left in glob.glob(glob.escape(tmp) + ".*"):
            os.remove(left)
    return specs


INPUTS_SUFFIX = ".inputs.yaml"  # not .json: paddle.jit.load reads every <prefix>*.json as a program


class ExportedGenerator:
    """An exported program (``paddle.jit.load``) that checks its feed first.

    ``program(feed)``: ``feed`` maps input names to float32 arrays of the exported shapes
    (``INADEPipeline.export_inputs(..., n_instances=program.n_instances)`` builds them);
    returns the image [N, 3, H, W] in [-1, 1] as a numpy array. A missing input or another
    shape is a ValueError naming the input, both shapes and what to pass.
    """

    def __init__(self, path_prefix: str):
        info_path = os.fspath(path_prefix) + INPUTS_SUFFIX
        try:
            with open(info_path) as fh:
                info = yaml.safe_load(fh)
        except FileNotFoundError:
            raise FileNotFoundError(f"{info_path}: no input list beside the program (exported by an "
                                    "older version?); export it again with tools/export.py") from None
        self.inputs = [(item["name"], tuple(item["shape"])) for item in info["inputs"]]
        self.n_instances = info.get("n_instances")
        self.program = paddle.jit.load(os.fspath(path_prefix))

    def check(self, feed: dict) -> None:
        for name, shape in self.inputs:
            if name not in feed:
                raise ValueError(f"the exported program takes {[n for n, _ in self.inputs]}: {name!r} is missing")
            got = tuple(feed[name].shape)
            if got != shape:
                hint = (f"; pass n_instances={self.n_instances} to export_inputs (the program was exported "
                        f"with --n_instances {self.n_instances})" if name == "input_instances" or name == "noise"
                        else "; export again with this size and batch")
                raise ValueError(f"input {name!r} is {list(got)} but the exported program takes {list(shape)}{hint}")

    def __call__(self, feed: dict):
        self.check(feed)
        out = self.program(*[paddle.to_tensor(feed[name]) for name, _ in self.inputs])
        return (out[0] if isinstance(out, (list, tuple)) else out).numpy()


def load_exported(path_prefix: str) -> ExportedGenerator:
    """The program written by :func:`export_generator` at ``path_prefix``, with its input check."""
    return ExportedGenerator(path_prefix)


def create_cpu_predictor(path_prefix: str, verbose: bool = False):
    """A Paddle Inference predictor for an exported generator on the CPU.

    oneDNN (MKLDNN) is switched off: with it, ``create_predictor`` crashed (SIGSEGV) with
    Paddle 3.3 on the CPUs we tested; without it the predictor runs and matches
    ``paddle.jit.load`` (tests/test_export.py runs it in a subprocess). ``verbose``: keep
    Paddle Inference's log of its graph passes (informational, about 20 lines).
    """
    import paddle.inference as inference
    config = inference.Config(f"{path_prefix}.json", f"{path_prefix}.pdiparams")
    config.disable_gpu()
    config.disable_mkldnn()
    if not verbose:
        config.disable_glog_info()
    return inference.create_predictor(config)


def run_predictor(predictor, inputs: dict) -> "numpy.ndarray":  # noqa: F821
    """Feed numpy ``inputs`` by name, run, return the first output."""
    for name in predictor.get_input_names():
        predictor.get_input_handle(name).copy_from_cpu(inputs[name])
    predictor.run()
    return predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()
