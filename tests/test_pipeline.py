"""INADEPipeline (generate / encode / restyle / from_checkpoint), tools/test.py and tools/demo.py."""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import paddle
import pytest
import yaml

from conftest import ROOT
from torch_format import torch_layout_state
from paddle_inade import INADEConfig, build_encoder, build_generator
from paddle_inade.data.toy_scenes import render_scene
from paddle_inade.nn import SpectralConv2D
from paddle_inade.pipeline import INADEPipeline, Layout, to_uint8

CFG = INADEConfig(norm_mode="inade", use_vae=True, label_nc=6, crop_size=32, ngf=2, z_dim=8,
                  noise_nc=4, norm_G="spectralspadebatch3x3", init_variance=1.0)


# --------------------------------------------------------------------------- helpers
def load_tool(name: str):
    """tools/<name>.py as a module (its ``main(argv)`` runs in this process)."""
    spec = importlib.util.spec_from_file_location(f"tool_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_experiment(folder, pipe: INADEPipeline, dataroot: str | None = None, encoder: bool = True) -> str:
    """A training folder as the trainer leaves it: opt.yaml + latest_net_G/E.pdparams."""
    from paddle_inade.data import DataConfig
    from paddle_inade.engine.options import TrainOptions, options_to_yaml
    os.makedirs(folder, exist_ok=True)
    data = DataConfig.for_dataset("toy", dataroot=dataroot or "", crop_size=32, load_size=32) if dataroot else None
    with open(os.path.join(folder, "opt.yaml"), "w", encoding="utf-8") as fh:
        fh.write(options_to_yaml(pipe.cfg, data, TrainOptions()))
    paddle.save(pipe.netG.state_dict(), os.path.join(folder, "latest_net_G.pdparams"))
    if encoder:
        paddle.save(pipe.netE.state_dict(), os.path.join(folder, "latest_net_E.pdparams"))
    return str(folder)


@pytest.fixture(scope="module")
def pipe():
    paddle.seed(0)
    return INADEPipeline(CFG, build_generator(CFG), build_encoder(CFG))


@pytest.fixture(scope="module")
def scene():
    return render_scene(np.random.default_rng(5), 32)[:3]


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory):
    from paddle_inade.data.toy_scenes import write_toy_dataset
    return write_toy_dataset(str(tmp_path_factory.mktemp("toy") / "toy"), n_images=2, size=32, n_val=3)


# --------------------------------------------------------------------------- generate
def test_generate_shapes_and_seeds(pipe, scene):
    label, inst, _ = scene
    a = pipe.generate(label, inst, n_samples=3, seed=1)
    assert a.shape == (1, 3, 32, 32, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, pipe.generate(label, inst, n_samples=3, seed=1))
    assert not np.array_equal(a, pipe.generate(label, inst, n_samples=3, seed=2))
    assert not np.array_equal(a[0, 0], a[0, 1])  # samples differ


def global_draws():
    """The next values of Paddle's and NumPy's global random streams."""
    return paddle.randn([4]).numpy(), np.random.rand(4)


@pytest.mark.parametrize("call", ["generate", "generate_encoded", "restyle", "export_inputs", "spade_vae"])
def test_the_global_random_streams_are_untouched(pipe, scene, call):
    """A seeded call neither reseeds nor advances Paddle's (or NumPy's) global generator."""
    label, inst, image = scene
    spade = spade_vae_pipe() if call == "spade_vae" else None  # building draws spectral-norm vectors
    calls = {
        "generate": lambda: pipe.generate(label, inst, n_samples=2, seed=7),
        "generate_encoded": lambda: pipe.generate(label, inst, seed=7, image=image),
        "restyle": lambda: pipe.restyle(label, inst, image, label, inst, {1: 1}, seed=7),
        "export_inputs": lambda: pipe.export_inputs(label, inst, seed=7),
        "spade_vae": lambda: spade.generate(np.zeros((256, 256), int), np.zeros((256, 256), int), seed=7),
    }
    paddle.seed(123)
    np.random.seed(5)
    expected = global_draws()
    paddle.seed(123)
    np.random.seed(5)
    first = calls[call]()
    after = global_draws()
    np.testing.assert_array_equal(after[0], expected[0])
    np.testing.assert_array_equal(after[1], expected[1])
    paddle.seed(999)  # another global state: the same seed still gives the same images
    second = calls[call]()
    for a, b in zip(first.values() if isinstance(first, dict) else [first],
                    second.values() if isinstance(second, dict) else [second]):
        np.testing.assert_array_equal(a, b)


def test_a_pipeline_computes_on_its_device_and_gives_the_callers_back(tmp_path, pipe, scene, monkeypatch):
    """Loading and every computing call run with Paddle's device set to the pipeline's and
    restore the caller's after, also when they fail (the caller's is a pretend 'gpu:3' here:
    this host has only the CPU, so the real device stays the CPU)."""
    label, inst, image = scene
    pipe.save_pretrained(tmp_path / "saved")
    folder = make_experiment(tmp_path / "run", pipe)
    current, calls = ["gpu:3"], []

    def set_device(device):
        calls.append(device)
        current[0] = device
    monkeypatch.setattr(paddle, "get_device", lambda: current[0])
    monkeypatch.setattr(paddle, "set_device", set_device)
    loaded = INADEPipeline.from_pretrained(tmp_path / "saved", device="cpu")
    other = INADEPipeline.from_checkpoint(folder, device="-1")
    assert calls == ["cpu", "gpu:3"] * 2 and loaded.device == other.device == "cpu"
    loaded.generate(label, inst, seed=1)
    other.encode(image, inst)
    with pytest.raises(ValueError):
        loaded.generate(label[:, :16], inst, seed=1)
    assert calls == ["cpu", "gpu:3"] * 5 and current == ["gpu:3"]


def spade_vae_pipe():
    cfg = INADEConfig(norm_mode="spade", use_vae=True, label_nc=3, crop_size=256, ngf=1, z_dim=256,
                      norm_G="spectralspadeinstance3x3")
    return INADEPipeline(cfg, build_generator(cfg))


def test_seeds_per_layout_and_generators(pipe, scene):
    label, inst, _ = scene
    other_label, other_inst = render_scene(np.random.default_rng(6), 32)[:2]
    alone = pipe.generate(other_label, other_inst, n_samples=2, seed=[11], output="float")
    batch = pipe.generate(np.stack([label, other_label]), np.stack([inst, other_inst]), n_samples=2,
                          seed=[10, 11], output="float")
    np.testing.assert_allclose(batch[1], alone[0], atol=1e-5)  # independent of the rest of its batch
    from_generator = pipe.generate(label, inst, n_samples=2, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(from_generator, pipe.generate(label, inst, n_samples=2, seed=3))
    rng = np.random.default_rng(3)
    first, second = pipe.generate(label, inst, seed=rng), pipe.generate(label, inst, seed=rng)
    assert not np.array_equal(first, second)  # a Generator is advanced
    assert not np.array_equal(pipe.generate(label, inst), pipe.generate(label, inst))  # None: fresh noise


def test_float_output_and_batched_layouts(pipe, scene):
    label, inst, _ = scene
    floats = pipe.generate(label[None, None], inst[None, None], n_samples=2, seed=1, output="float")
    assert floats.shape == (1, 2, 3, 32, 32) and floats.dtype == np.float32
    assert floats.min() >= -1 and floats.max() <= 1
    np.testing.assert_array_equal(to_uint8(floats), pipe.generate(label, inst, n_samples=2, seed=1))
    other = render_scene(np.random.default_rng(6), 32)
    batch = pipe.generate(np.stack([label, other[0]]), np.stack([inst, other[1]]), n_samples=2, seed=1)
    assert batch.shape == (2, 2, 32, 32, 3)


def test_instance_ids_need_not_be_contiguous(pipe, scene):
    label, inst, _ = scene
    sparse = (inst.astype(np.int64) + 1) * 1000  # e.g. Cityscapes-style ids
    np.testing.assert_array_equal(pipe.generate(label, sparse, seed=3), pipe.generate(label, inst, seed=3))


# --------------------------------------------------------------------------- encode / restyle
def test_encode_returns_per_instance_parameters(pipe, scene):
    label, inst, image = scene
    styles = pipe.encode(image, inst)
    k = len(np.unique(inst))
    assert set(styles) == {"s_mu", "s_logvar", "b_mu", "b_logvar"}
    assert all(v.shape == (1, k, 4) and v.dtype == np.float32 for v in styles.values())


def test_identity_restyle_reproduces_encoder_driven_result(pipe, scene):
    label, inst, image = scene
    mapping = {int(k): int(k) for k in np.unique(inst)}
    restyled = pipe.restyle(label, inst, image, label, inst, mapping, seed=4, n_samples=2, sample_style=True)
    encoded = pipe.generate(label, inst, seed=4, image=image, n_samples=2)
    np.testing.assert_array_equal(restyled, encoded)


def test_restyle_by_default_takes_the_reference_mean_in_every_sample(pipe, scene):
    """Without sample_style the mapped instances get mu with std 0: the same in every sample."""
    label, inst, image = scene
    ids = np.unique(inst)
    mapping = {int(k): int(k) for k in ids}
    layout = Layout(label, inst, CFG)
    z = [t.numpy() for t in pipe._restyle_z(layout, layout, pipe._z(layout, image), mapping, False)]
    styles = pipe.encode(image, inst)
    np.testing.assert_allclose(z[0][0], styles["s_mu"][0], rtol=1e-6)
    np.testing.assert_allclose(z[2][0], styles["b_mu"][0], rtol=1e-6)
    assert np.all(z[1] == 0) and np.all(z[3] == 0)
    # with every instance mapped only the start vector still differs between the samples
    samples = pipe.restyle(label, inst, image, label, inst, mapping, seed=4, n_samples=2)
    assert samples.shape == (1, 2, 32, 32, 3)


def test_empty_mapping_is_the_prior(pipe, scene):
    label, inst, image = scene
    np.testing.assert_array_equal(pipe.restyle(label, inst, image, label, inst, {}, seed=5),
                                  pipe.generate(label, inst, seed=5))


def test_restyle_gives_mapped_instances_the_reference_parameters(pipe, scene):
    """Target t takes reference s's (mu, std) for scale and bias (kept apart); others N(0, 1)."""
    label, inst, _ = scene
    ref_label, ref_inst, ref_image = render_scene(np.random.default_rng(9), 32)[:3]
    ref_ids = (ref_inst.astype(np.int64) + 1) * 10  # reference ids 10, 20, ...
    layout, ref = Layout(label, inst, CFG), Layout(ref_label, ref_ids, CFG, "reference")
    z = [t.numpy() for t in pipe._restyle_z(layout, ref, pipe._z(ref, ref_image), {1: 30}, True)]
    styles = pipe.encode(ref_image, ref_ids)
    expected = [styles["s_mu"][0, 2], np.exp(0.5 * styles["s_logvar"][0, 2]),
                styles["b_mu"][0, 2], np.exp(0.5 * styles["b_logvar"][0, 2])]
    for part, value in zip(z, expected):
        np.testing.assert_allclose(part[0, 1], value, rtol=1e-6)
    assert not np.allclose(z[0][0, 1], z[2][0, 1])  # scale and bias not aliased
    others = [k for k in range(z[0].shape[1]) if k != 1]
    for part, prior in zip(z, (0.0, 1.0, 0.0, 1.0)):
        assert np.all(part[0, others] == prior)


def test_batched_restyle_from_one_reference(pipe, scene):
    label, inst, image = scene
    two = pipe.restyle(np.stack([label, label]), np.stack([inst, inst]), image, label, inst, {1: 2}, seed=3)
    assert two.shape == (2, 1, 32, 32, 3)
    with pytest.raises(ValueError, match=r"reference batch 2 must be 1 or the layout's 1"):
        pipe.restyle(label, inst, np.stack([image, image]), np.stack([label, label]), np.stack([inst, inst]), {})


def test_sketch_models_take_the_sketch(scene):
    label, inst, _ = scene
    cfg = CFG.replace(add_sketch=True)
    paddle.seed(0)
    sketch_pipe = INADEPipeline(cfg, build_generator(cfg))
    sketch = (np.random.default_rng(0).random((32, 32)) > 0.8).astype(np.float32)
    a = sketch_pipe.generate(label, inst, seed=1, sketch=sketch)
    assert not np.array_equal(a, sketch_pipe.generate(label, inst, seed=1, sketch=1 - sketch))
    with pytest.raises(ValueError, match="add_sketch is set: pass sketch"):
        sketch_pipe.generate(label, inst, seed=1)


# --------------------------------------------------------------------------- bad input
def test_bad_inputs(pipe, scene):
    label, inst, image = scene
    with pytest.raises(ValueError, match=r"class 9 found but the model has label_nc 6"):
        pipe.generate(np.full_like(label, 9), inst)
    with pytest.raises(ValueError, match=r"class -1 found"):
        pipe.generate(np.full(label.shape, -1), inst)
    with pytest.raises(ValueError, match=r"instance map \(16, 16\) must have the label map's size \(32, 32\)"):
        pipe.generate(label, inst[:16, :16])
    with pytest.raises(ValueError, match=r"layout is 16x16 \(HxW\) but this model makes 32x32"):
        pipe.generate(label[:16, :16], inst[:16, :16])
    with pytest.raises(ValueError, match=r"reference: instance id 99 does not exist"):
        pipe.restyle(label, inst, image, label, inst, {0: 99})
    with pytest.raises(ValueError, match=r"layout: instance id 77 does not exist"):
        pipe.restyle(label, inst, image, label, inst, {77: 0})
    with pytest.raises(ValueError, match=r"instance ids must be integers"):
        pipe.restyle(label, inst, image, label, inst, {0: "a"})
    with pytest.raises(ValueError, match=r"reference image .* must match its instance map"):
        pipe.restyle(label, inst, image[:16], label, inst, {0: 0})
    with pytest.raises(ValueError, match=r"n_samples must be >= 1"):
        pipe.generate(label, inst, n_samples=0)
    with pytest.raises(ValueError, match=r"output must be one of"):
        pipe.generate(label, inst, output="png")
    with pytest.raises(ValueError, match=r"must hold integer ids"):
        pipe.generate(label + 0.5, inst)
    no_encoder = INADEPipeline(CFG, pipe.netG)
    with pytest.raises(ValueError, match=r"no encoder"):
        no_encoder.restyle(label, inst, image, label, inst, {0: 0})


# --------------------------------------------------------------------------- loading
def test_from_training_folder_reads_opt_yaml(tmp_path, pipe, scene):
    label, inst, image = scene
    folder = make_experiment(tmp_path / "run", pipe)
    loaded = INADEPipeline.from_checkpoint(folder, device="cpu")
    assert loaded.cfg == CFG and loaded.netE is not None
    assert not any(isinstance(l, SpectralConv2D) for l in loaded.netG.sublayers())  # folded once
    np.testing.assert_array_equal(loaded.generate(label, inst, seed=1, image=image),
                                  pipe.generate(label, inst, seed=1, image=image))
    os.remove(os.path.join(folder, "opt.yaml"))
    with pytest.raises(ValueError, match=r"no model options: the folder has no opt.yaml or opt.txt"):
        INADEPipeline.from_checkpoint(folder, device="cpu")
    with pytest.raises(FileNotFoundError, match=r"no generator checkpoint epoch7_net_G.pdparams or .pth in .*run \(it has --which_epoch latest\)"):
        INADEPipeline.from_checkpoint(folder, config=CFG, which_epoch="epoch7", device="cpu")


def test_from_checkpoint_rejects_mismatching_file(tmp_path, pipe):
    paddle.save(pipe.netG.state_dict(), str(tmp_path / "G.pdparams"))
    loaded = INADEPipeline.from_checkpoint(tmp_path / "G.pdparams", config=CFG, device="-1")
    assert loaded.netE is None
    with pytest.raises(ValueError, match=r"G.pdparams does not fit SPADEGenerator: 1 mis-shaped: fc.weight \(file \[8, 32\], network \[6, 32\]\)\. Likely cause: --z_dim.*\(--z_dim 8\)"):
        INADEPipeline.from_checkpoint(tmp_path / "G.pdparams", config=CFG.replace(z_dim=6), device="-1")
    (tmp_path / "junk.pdparams").write_bytes(b"not a paddle file")
    with pytest.raises(ValueError, match=r"junk.pdparams is neither a Paddle state dict .* nor a PyTorch checkpoint"):
        INADEPipeline.from_checkpoint(tmp_path / "junk.pdparams", config=CFG, device="-1")
    with pytest.raises(ValueError, match=r"no model options"):
        INADEPipeline.from_checkpoint(tmp_path / "G.pdparams", device="-1")


def test_original_pth_files_load_through_the_converter(tmp_path, pipe, scene):
    from torch_format import write_torch_zip
    label, inst, image = scene
    write_torch_zip(tmp_path / "latest_net_G.pth", torch_layout_state(pipe.netG))
    write_torch_zip(tmp_path / "latest_net_E.pth", torch_layout_state(pipe.netE))
    loaded = INADEPipeline.from_checkpoint(tmp_path / "latest_net_G.pth", config=CFG.to_dict(),
                                           encoder=tmp_path / "latest_net_E.pth", device="cpu")
    np.testing.assert_array_equal(loaded.generate(label, inst, seed=2, image=image),
                                  pipe.generate(label, inst, seed=2, image=image))
    with pytest.raises(ValueError, match=r"latest_net_G.pth does not fit SPADEGenerator: .*mis-shaped.*--z_dim 8"):
        INADEPipeline.from_checkpoint(tmp_path / "latest_net_G.pth", config=CFG.replace(z_dim=6), device="cpu")


# --------------------------------------------------------------------------- tools
def test_test_tool_from_name_alone(tmp_path, pipe, toy_root):
    make_experiment(tmp_path / "ck" / "tiny", pipe, dataroot=toy_root)
    test = load_tool("test")
    argv = ["--name", "tiny", "--checkpoints_dir", str(tmp_path / "ck"), "--results_dir", str(tmp_path / "res"),
            "--n_samples", "2", "--how_many", "2", "--gpu_ids", "-1"]
    assert test.main(argv) == 0
    out = tmp_path / "res" / "tiny" / "test_latest"
    assert sorted(os.listdir(out / "grids")) == ["00002.png", "00003.png"]
    assert sorted(os.listdir(out / "images")) == ["input_label", "real_image", "synthesized_image",
                                                  "synthesized_image_1"]  # the original's, plus ours
    for sub in os.listdir(out / "images"):
        assert sorted(os.listdir(out / "images" / sub)) == ["00002.png", "00003.png"]
    assert "00002" in (out / "index.html").read_text()
    import cv2
    grid = cv2.imread(str(out / "grids" / "00002.png"))
    assert grid.shape == (32 + 4, 5 * (32 + 2) + 2, 3)  # label | instances | real | 2 samples
    assert not [p for p in os.listdir(tmp_path / "res" / "tiny") if ".tmp" in p]


def test_test_tool_from_a_bare_checkpoint_and_errors_leave_nothing(tmp_path, pipe, toy_root, capsys):
    paddle.save(pipe.netG.state_dict(), str(tmp_path / "G.pdparams"))
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump({"model": CFG.to_dict()}))
    test = load_tool("test")
    common = ["--checkpoint", str(tmp_path / "G.pdparams"), "--dataset_mode", "toy", "--dataroot", toy_root,
              "--results_dir", str(tmp_path / "res"), "--how_many", "1", "--n_samples", "1", "--gpu_ids", "-1"]
    assert test.main(common + ["--config", str(tmp_path / "cfg.yaml")]) == 0
    assert (tmp_path / "res" / "G" / "test_latest" / "index.html").is_file()
    assert "no encoder file" in capsys.readouterr().err  # use_vae model, no E: prior
    bad = ["--results_dir", str(tmp_path / "bad")]
    assert test.main(common + bad + ["--preset", "toy"]) == 2  # toy preset: another size
    assert "does not fit SPADEGenerator" in capsys.readouterr().err
    assert test.main(common + bad + ["--config", str(tmp_path / "cfg.yaml"), "--use_vae"]) == 2
    assert "--use_vae: the model has no encoder file" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_demo_tool_writes_a_montage(tmp_path, pipe):
    import cv2
    folder = make_experiment(tmp_path / "ck" / "tiny", pipe)
    files = {}
    for prefix, seed in (("", 5), ("ref_", 9)):
        label, inst, image = render_scene(np.random.default_rng(seed), 32)[:3]
        for key, array in (("label", label), ("instance", inst), ("image", image[..., ::-1])):
            files[prefix + key] = str(tmp_path / f"{prefix}{key}.png")
            cv2.imwrite(files[prefix + key], array)
    demo = load_tool("demo")
    argv = ["--name", "tiny", "--checkpoints_dir", os.path.dirname(folder), "--gpu_ids", "-1", "--n_samples", "2"]
    argv += [x for key in ("label", "instance", "ref_image", "ref_label", "ref_instance")
             for x in (f"--{key}", files[key])]
    assert demo.main(argv + ["--map", "1:2", "--out", str(tmp_path / "demo.png")]) == 0
    assert cv2.imread(str(tmp_path / "demo.png")).shape == (36, 6 * 34 + 2, 3)
    assert demo.main(argv + ["--map", "1:99", "--out", str(tmp_path / "x.png")]) == 2
    assert demo.main(argv + ["--map", "1-2", "--out", str(tmp_path / "x.png")]) == 2
    assert not (tmp_path / "x.png").exists()


def test_the_pipeline_leaves_the_callers_networks_in_their_mode(scene):
    """INADEPipeline runs networks handed to it in eval mode for each call and gives every layer its
    mode back (a layer the caller set apart from its parent too)."""
    paddle.seed(0)
    netG, netE = build_generator(CFG), build_encoder(CFG)
    netG.train()
    netE.train()
    odd = netG.sublayers()[3]
    odd.eval()
    pipe = INADEPipeline(CFG, netG, netE)
    label, inst, image = scene
    train_modes = [layer.training for layer in netG.sublayers()]
    out = pipe.generate(label, inst, seed=2)
    pipe.restyle(label, inst, image, label, inst, {int(inst.max()): int(inst.max())}, seed=2)
    assert netG.training and netE.training and not odd.training
    assert [layer.training for layer in netG.sublayers()] == train_modes
    netG.eval()
    np.testing.assert_array_equal(out, pipe.generate(label, inst, seed=2))


def test_save_pretrained_and_from_pretrained_are_symmetric(tmp_path, scene):
    """INADEPipeline.from_pretrained gives what save_pretrained wrote (the same images); the
    caller's networks are not folded by saving; another family's folder is refused by name."""
    from paddle_inade.smis import SMISConfig
    from paddle_inade.smis import build_generator as smis_generator
    from paddle_inade.smis.pipeline import GroupDNetPipeline
    paddle.seed(0)
    pipe = INADEPipeline(CFG, build_generator(CFG), build_encoder(CFG))
    label, inst, image = scene
    pipe.save_pretrained(tmp_path / "p")
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["E.pdparams", "G.pdparams", "pipeline.json"]
    assert any(isinstance(layer, SpectralConv2D) for layer in pipe.netG.sublayers())
    again = INADEPipeline.from_pretrained(tmp_path / "p", device="cpu")
    np.testing.assert_allclose(again.generate(label, inst, seed=4, output="float"),
                               pipe.generate(label, inst, seed=4, output="float"), atol=1e-5)
    np.testing.assert_allclose(again.restyle(label, inst, image, label, inst, {0: 0}, seed=4, output="float"),
                               pipe.restyle(label, inst, image, label, inst, {0: 0}, seed=4, output="float"), atol=1e-5)
    smis_cfg = SMISConfig.preset("toy")
    GroupDNetPipeline(smis_cfg, smis_generator(smis_cfg)).save_pretrained(tmp_path / "g")
    with pytest.raises(ValueError, match="a 'smis' pipeline, not 'inade'"):
        INADEPipeline.from_pretrained(tmp_path / "g")
    with pytest.raises(FileNotFoundError, match="no pipeline.json"):
        INADEPipeline.from_pretrained(tmp_path)
