"""paddle.jit export of the generator (inade and spade), Paddle Inference on it, tools/export.py."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import paddle
import pytest

from conftest import ROOT
from paddle_inade import build_encoder, build_generator
from paddle_inade.data.toy_scenes import render_scene
from paddle_inade.export import export_generator, load_exported
from paddle_inade.pipeline import INADEPipeline, Layout
from test_pipeline import CFG, load_tool, make_experiment

# init_variance 0.1: activations in tanh's linear range, so the comparisons are not of saturated +-1.
CFG = CFG.replace(init_variance=0.1)


@pytest.fixture(scope="module")
def inputs():
    """(numpy inputs by name, K) for CFG on one toy layout, noises drawn once."""
    label, inst, _ = render_scene(np.random.default_rng(5), 32)[:3]
    k = len(np.unique(inst))
    semantics, _, instances, _ = Layout(label, inst, CFG).inputs()
    rng = np.random.default_rng(0)
    return {"input_semantics": semantics.numpy(), "input_instances": instances.numpy(),
            "noise": rng.standard_normal((1, k, 2, CFG.noise_nc)).astype(np.float32),
            "noise_ins": rng.standard_normal((1, CFG.z_dim)).astype(np.float32)}, k


def _dynamic(netG, feed: dict) -> np.ndarray:
    netG.eval()
    with paddle.no_grad():
        return netG(paddle.to_tensor(feed["input_semantics"]), z=_maybe(feed.get("z")),
                    input_instances=_maybe(feed.get("input_instances")), noise=_maybe(feed.get("noise")),
                    noise_ins=_maybe(feed.get("noise_ins"))).numpy()


def _maybe(array):
    return None if array is None else paddle.to_tensor(array)


def _static(prefix: str, feed: dict, names: list[str]) -> np.ndarray:
    out = paddle.jit.load(prefix)(*[paddle.to_tensor(feed[n]) for n in names])
    return (out[0] if isinstance(out, (list, tuple)) else out).numpy()


def test_jit_export_equals_dynamic_model_and_paddle_inference_runs(tmp_path, inputs):
    feed, k = inputs
    paddle.seed(0)
    netG = build_generator(CFG)
    specs = export_generator(netG, CFG, str(tmp_path / "g"), batch=1, n_instances=k)
    names = [s.name for s in specs]
    assert names == ["input_semantics", "input_instances", "noise", "noise_ins"]
    dynamic = _dynamic(netG, feed)
    assert np.abs(_static(str(tmp_path / "g"), feed, names) - dynamic).max() <= 1e-5
    # Paddle Inference once, in a subprocess: with oneDNN on it segfaults on this CPU (Paddle 3.3).
    np.savez(tmp_path / "inputs.npz", expected=dynamic, **feed)
    script = (f"import sys, numpy as np; sys.path.insert(0, {str(ROOT)!r})\n"
              "from paddle_inade.export import create_cpu_predictor, run_predictor\n"
              f"d = dict(np.load({str(tmp_path / 'inputs.npz')!r}))\n"
              f"out = run_predictor(create_cpu_predictor({str(tmp_path / 'g')!r}), d)\n"
              "assert np.abs(out - d['expected']).max() <= 1e-5, np.abs(out - d['expected']).max()\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_spade_export_equals_dynamic_model(tmp_path, inputs):
    """SPADE without VAE (with use_vae SPADE's encoder fixes 256 x 256: too slow for this suite)."""
    cfg = CFG.replace(norm_mode="spade", use_vae=False)
    feed = {"input_semantics": inputs[0]["input_semantics"]}
    paddle.seed(0)
    netG = build_generator(cfg)
    names = [s.name for s in export_generator(netG, cfg, str(tmp_path / "s"), batch=1)]
    assert names == ["input_semantics"]
    assert np.abs(_static(str(tmp_path / "s"), feed, names) - _dynamic(netG, feed)).max() <= 1e-5


def test_export_tool_and_padded_export_inputs(tmp_path, capsys):
    """tools/export.py from a training folder; a program exported for K instances serves a
    layout with fewer (zero-padded channels) and gives generate()'s image for the same seed."""
    paddle.seed(0)
    pipe = INADEPipeline(CFG, build_generator(CFG), build_encoder(CFG))
    make_experiment(tmp_path / "ck" / "tiny", pipe)
    label, inst, _ = render_scene(np.random.default_rng(5), 32)[:3]
    k = len(np.unique(inst)) + 3
    export = load_tool("export")
    out = tmp_path / "exported" / "tiny_G"
    argv = ["--name", "tiny", "--checkpoints_dir", str(tmp_path / "ck"), "--out", str(out), "--n_instances", str(k)]
    assert export.main(argv) == 0
    assert f"noise [1, {k}, 2, 4]" in capsys.readouterr().out
    feed = pipe.export_inputs(label, inst, n_instances=k, seed=7)
    assert feed["input_instances"].shape[1] == k and not feed["input_instances"][:, -3:].any()
    names = ["input_semantics", "input_instances", "noise", "noise_ins"]
    expected = pipe.generate(label, inst, seed=7, output="float")[:, 0]
    assert np.abs(_static(str(out), feed, names) - expected).max() <= 1e-5
    with pytest.raises(ValueError, match=r"export with --n_instances"):
        pipe.export_inputs(label, inst, n_instances=2)
    # the program checks its feed: the docs' case of another instance count is named, not a ReshapeOp error
    program = load_exported(str(out))
    assert program.n_instances == k
    assert np.abs(program(feed) - expected).max() <= 1e-5
    wrong = pipe.export_inputs(label, inst, n_instances=k + 1, seed=7)
    with pytest.raises(ValueError, match=rf"'input_instances' is \[1, {k + 1}, 32, 32\] but the exported program "
                                         rf"takes \[1, {k}, 32, 32\]; pass n_instances={k} to export_inputs"):
        program(wrong)
    assert export.main(["--name", "missing", "--checkpoints_dir", str(tmp_path / "ck"), "--out", str(out)]) == 2
