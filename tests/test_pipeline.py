"""INADEPipeline, tools/test.py, export (jit and Paddle Inference), FID and diversity measures."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import paddle
import pytest

from conftest import ROOT
from paddle_inade import INADEConfig, build_encoder, build_generator
from paddle_inade.data.toy_scenes import render_scene
from paddle_inade.pipeline import INADEPipeline

CFG = INADEConfig(norm_mode="inade", use_vae=True, label_nc=6, crop_size=32, ngf=2, z_dim=8,
                  noise_nc=4, norm_G="spectralspadebatch3x3", init_variance=1.0)


@pytest.fixture(scope="module")
def pipe():
    paddle.seed(0)
    return INADEPipeline(CFG, build_generator(CFG), build_encoder(CFG))


@pytest.fixture(scope="module")
def scene():
    return render_scene(np.random.default_rng(5), 32)[:3]


def test_generate_shapes_and_seeds(pipe, scene):
    label, inst, _ = scene
    a = pipe.generate(label, inst, n_samples=3, seed=1)
    assert a.shape == (1, 3, 32, 32, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, pipe.generate(label, inst, n_samples=3, seed=1))
    assert not np.array_equal(a, pipe.generate(label, inst, n_samples=3, seed=2))
    assert not np.array_equal(a[0, 0], a[0, 1])  # samples differ


def test_instance_ids_need_not_be_contiguous(pipe, scene):
    label, inst, _ = scene
    sparse = (inst.astype(np.int64) + 1) * 1000  # e.g. Cityscapes-style ids
    np.testing.assert_array_equal(pipe.generate(label, sparse, seed=3), pipe.generate(label, inst, seed=3))


def test_identity_restyle_reproduces_encoder_driven_result(pipe, scene):
    label, inst, image = scene
    mapping = {int(k): int(k) for k in np.unique(inst)}
    restyled = pipe.restyle(label, inst, image, label, inst, mapping, seed=4)
    encoded = pipe.generate(label, inst, seed=4, image=image)
    np.testing.assert_array_equal(restyled, encoded)


def test_encode_returns_per_instance_parameters(pipe, scene):
    label, inst, image = scene
    styles = pipe.encode(image, inst)
    k = len(np.unique(inst))
    assert set(styles) == {"s_mu", "s_logvar", "b_mu", "b_logvar"}
    assert all(v.shape == (1, k, 4) for v in styles.values())


def test_bad_inputs(pipe, scene):
    label, inst, image = scene
    with pytest.raises(ValueError, match=r"class 9 found but the model has label_nc 6"):
        pipe.generate(np.full_like(label, 9), inst)
    with pytest.raises(ValueError, match=r"instance map \(16, 16\) must have the label map's size \(32, 32\)"):
        pipe.generate(label, inst[:16, :16])
    with pytest.raises(ValueError, match=r"reference: instance id 99 does not exist"):
        pipe.restyle(label, inst, image, label, inst, {0: 99})
    with pytest.raises(ValueError, match=r"layout: instance id 77 does not exist"):
        pipe.restyle(label, inst, image, label, inst, {77: 0})


def test_from_checkpoint_rejects_mismatching_file(tmp_path, pipe):
    paddle.save(pipe.netG.state_dict(), str(tmp_path / "G.pdparams"))
    loaded = INADEPipeline.from_checkpoint(tmp_path / "G.pdparams", config=CFG, device="-1")
    assert loaded.netE is None
    with pytest.raises(ValueError, match=r"G.pdparams does not match .*shape mismatches"):
        INADEPipeline.from_checkpoint(tmp_path / "G.pdparams", config=CFG.replace(label_nc=5), device="-1")


def test_jit_export_equals_dynamic_model_and_paddle_inference_runs(tmp_path, pipe, scene):
    from paddle_inade.export import export_generator
    label, inst, _ = scene
    k = len(np.unique(inst))
    export_generator(pipe.netG, CFG, str(tmp_path / "g"), batch=1, n_instances=k)
    from paddle_inade.pipeline import Layout
    semantics, _, instances, _ = Layout(label, inst, CFG).inputs()
    paddle.seed(0)
    noise, noise_ins = paddle.randn([1, k, 2, 4]), paddle.randn([1, 8])
    with paddle.no_grad():
        dynamic = pipe.netG(semantics, input_instances=instances, noise=noise, noise_ins=noise_ins).numpy()
    loaded = paddle.jit.load(str(tmp_path / "g"))
    static = loaded(semantics, instances, noise, noise_ins)
    static = (static[0] if isinstance(static, (list, tuple)) else static).numpy()
    assert np.abs(static - dynamic).max() <= 1e-5
    np.savez(tmp_path / "inputs.npz", input_semantics=semantics.numpy(), input_instances=instances.numpy(),
             noise=noise.numpy(), noise_ins=noise_ins.numpy(), expected=dynamic)
    script = (f"import sys, numpy as np; sys.path.insert(0, {str(ROOT)!r})\n"
              "from paddle_inade.export import create_cpu_predictor, run_predictor\n"
              f"d = dict(np.load({str(tmp_path / 'inputs.npz')!r}))\n"
              f"out = run_predictor(create_cpu_predictor({str(tmp_path / 'g')!r}), d)\n"
              "assert np.abs(out - d['expected']).max() <= 1e-5, np.abs(out - d['expected']).max()\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_test_tool_writes_grids_and_index(tmp_path, pipe):
    from paddle_inade.data import DataConfig, create_dataset
    from paddle_inade.data.toy_scenes import write_toy_dataset
    from paddle_inade.inference import write_results
    root = write_toy_dataset(str(tmp_path / "toy"), n_images=4, size=32, n_val=3)
    dataset = create_dataset(DataConfig.for_dataset("toy", phase="test", dataroot=root, crop_size=32))
    out = tmp_path / "results"
    assert write_results(pipe, dataset, str(out), n_samples=2, how_many=2) == 2
    assert sorted(os.listdir(out / "grids")) == ["00004.png", "00005.png"]
    assert len(os.listdir(out / "images")) == 2 * 3
    assert "00004" in (out / "index.html").read_text()
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]
