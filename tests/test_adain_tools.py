"""tools/style_transfer.py (pytorch-AdaIN's test.py options and output names) and
tools/train_adain.py (its train.py options, exact resume, atomic checkpoints, VisualDL)."""
from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import paddle
import pytest

import adain_reference as ref
from conftest import ROOT
from paddle_inade.adain import AdaINPipeline
from paddle_inade.adain.data import BatchStream, FlatFolderDataset, sample_indices
from paddle_inade.adain.images import center_crop_box, resized_size
from paddle_inade.adain.style_transfer import build_parser, run
from paddle_inade.adain.train_options import DEMO_DEFAULTS, config_from_args
from paddle_inade.adain.training import AdaINTrainer
from paddle_inade.data.textures import render_texture, write_texture_dataset
from paddle_inade.engine.trainer import TrainingDiverged


def _write(path, array):
    assert cv2.imwrite(str(path), array[..., ::-1] if array.ndim == 3 and array.shape[2] == 3 else array)
    return str(path)


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return ref.write_weights(tmp_path_factory.mktemp("adain_weights"))


@pytest.fixture
def inputs(tmp_path):
    io = ref.io()
    (tmp_path / "styles").mkdir()
    return {"content": _write(tmp_path / "cat.png", io["content"]),
            "styles": [_write(tmp_path / "styles" / "a.png", io["style0"]),
                       _write(tmp_path / "styles" / "b.png", io["style1"])],
            "style_dir": str(tmp_path / "styles"), "mask": _write(tmp_path / "mask.png", io["mask"]),
            "out": str(tmp_path / "out")}


def _run(argv, weights):
    args = build_parser().parse_args(argv + ["--vgg", str(weights[0]), "--decoder", str(weights[1])])
    return run(args, lambda vgg, decoder, impl: AdaINPipeline.from_pretrained(vgg=vgg, decoder=decoder,
                                                                               impl=impl))


def test_impl_option_reaches_the_pipeline(weights, inputs):
    io = ref.io()
    common = ["--content", inputs["content"], "--style", inputs["styles"][0], "--content_size", "0",
              "--style_size", "0", "--save_ext", ".png"]
    for impl in ("reference", "onednn"):
        written = _run(common + ["--output", os.path.join(inputs["out"], impl), "--impl", impl], weights)
        expected = AdaINPipeline.from_pretrained(vgg=weights[0], decoder=weights[1], impl=impl).transfer(
            io["content"], io["style0"])
        np.testing.assert_array_equal(cv2.imread(written[0])[..., ::-1], expected)
    with pytest.raises(SystemExit):
        _run(common + ["--output", inputs["out"], "--impl", "fast"], weights)


def test_resize_and_crop_as_torchvision():
    assert resized_size(100, 50, 20) == (40, 20) and resized_size(50, 100, 20) == (20, 40)
    assert resized_size(33, 50, 20) == (20, 30)  # int(20 * 50 / 33) = 30, truncated
    assert resized_size(20, 77, 20) == (20, 77)  # short side already the size: untouched
    assert center_crop_box(30, 20, 20) == (5, 0, 25, 20)
    assert center_crop_box(21, 20, 20) == (0, 0, 20, 20)  # round(0.5) = 0, as Python's round


def test_output_names_as_test_py(weights, inputs):
    io = ref.io()
    out = inputs["out"]
    written = _run(["--content", inputs["content"], "--style_dir", inputs["style_dir"], "--content_size", "0",
                    "--style_size", "0", "--output", out], weights)
    assert sorted(os.path.basename(p) for p in written) == ["cat_stylized_a.jpg", "cat_stylized_b.jpg"]
    assert cv2.imread(written[0]).shape == (24, 32, 3)
    written = _run(["--content", inputs["content"], "--style", inputs["styles"][0], "--content_size", "0",
                    "--style_size", "0", "--output", out, "--save_ext", ".png"], weights)
    expected = AdaINPipeline.from_pretrained(vgg=weights[0], decoder=weights[1]).transfer(io["content"], io["style0"])
    np.testing.assert_array_equal(cv2.imread(written[0])[..., ::-1], expected)
    both = ",".join(inputs["styles"])
    written = _run(["--content", inputs["content"], "--style", both, "--style_interpolation_weights", "1,3",
                    "--content_size", "0", "--style_size", "0", "--output", out, "--save_ext", ".png"], weights)
    assert [os.path.basename(p) for p in written] == ["cat_interpolation.png"]
    written = _run(["--content", inputs["content"], "--style", both, "--mask", inputs["mask"], "--alpha", "0.5",
                    "--content_size", "0", "--style_size", "0", "--output", out, "--save_ext", "png"], weights)
    assert [os.path.basename(p) for p in written] == ["cat_stylized_a_b.png"]
    written = _run(["--content", inputs["content"], "--style", inputs["styles"][0], "--content_size", "16",
                    "--style_size", "16", "--crop", "--preserve_color", "--output", out], weights)
    assert cv2.imread(written[0]).shape == (16, 16, 3)


@pytest.mark.parametrize("change, pattern", [
    (lambda i, t: ["--content", _write(t / "g.png", ref.io()["content"][..., 0])], "g.png is grayscale"),
    (lambda i, t: ["--content", _write(t / "x.png", np.dstack([ref.io()["content"], ref.io()["content"][..., :1]]))],
     "x.png is an image with an alpha channel"),
    (lambda i, t: ["--content", _write(t / "tiny.png", ref.io()["content"][:8])], r"tiny.png \(after resizing\) is 8x28"),
    (lambda i, t: ["--style", ",".join(i["styles"])], "give --style_interpolation_weights"),
    (lambda i, t: ["--style", ",".join(i["styles"]), "--mask", _write(t / "m.png", ref.io()["mask"][:10])],
     r"is 10x28 \(HxW\) but the content image"),
    (lambda i, t: ["--style", ",".join(i["styles"]), "--style_interpolation_weights", "1"], "1 weights for 2"),
    (lambda i, t: ["--alpha", "2"], "--alpha 2.0: must be between 0 and 1"),
    (lambda i, t: ["--crop"], "--crop needs a size > 0"),
    (lambda i, t: ["--style_dir", str(t / "empty")], "no such folder"),
])
def test_bad_input_writes_nothing(weights, inputs, tmp_path, change, pattern):
    argv = ["--content", inputs["content"], "--style", inputs["styles"][0], "--content_size", "0",
            "--style_size", "0", "--output", inputs["out"]]
    extra = change(inputs, tmp_path)
    for option in extra[::2]:  # the change replaces options of the same name
        if option in argv:
            index = argv.index(option)
            del argv[index:index + 2]
    if "--style_dir" in extra and "--style" in argv:
        index = argv.index("--style")
        del argv[index:index + 2]
    with pytest.raises((ValueError, FileNotFoundError), match=pattern):
        _run(argv + extra, weights)
    assert not os.path.exists(inputs["out"])


def test_tool_exit_codes(weights, inputs):
    tool = [sys.executable, str(ROOT / "tools" / "style_transfer.py")]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(tool + ["--content", inputs["content"], "--style", inputs["styles"][0],
                                  "--output", inputs["out"], "--vgg", "missing/vgg_normalised.pth",
                                  "--decoder", str(weights[1])], capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "missing/vgg_normalised.pth: no such file (from --vgg)" in proc.stderr
    assert "releases/tag/v0.0.0" in proc.stderr and not os.path.exists(inputs["out"])
    proc = subprocess.run(tool + ["--content", inputs["content"], "--style", inputs["styles"][1], "--vgg",
                                  str(weights[0]), "--decoder", str(weights[1]), "--output", inputs["out"]],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(inputs["out"]) == ["cat_stylized_b.jpg"]  # no temporary files left


# ----------------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("adain_data")
    rng = np.random.default_rng(0)
    (root / "content").mkdir()
    for i in range(5):
        _write(root / "content" / f"{i}.png", rng.integers(0, 256, (24, 20, 3), dtype=np.uint8))
    write_texture_dataset(str(root / "style"), n_images=3, size=24, seed=0)
    return str(root / "content"), str(root / "style")


def _config(folders, weights, tmp_path, *extra):
    return config_from_args(["--content_dir", folders[0], "--style_dir", folders[1], "--vgg", str(weights[0]),
                             "--save_dir", str(tmp_path / "exp"), "--log_dir", str(tmp_path / "logs"),
                             "--batch_size", "2", "--load_size", "20", "--crop_size", "16", "--n_threads", "2",
                             *extra])


def test_training_writes_checkpoints_samples_and_logs(folders, weights, tmp_path):
    trainer = AdaINTrainer(_config(folders, weights, tmp_path, "--max_iter", "3", "--save_model_interval", "2"))
    seen = []
    written = trainer.train(lambda i, c, s, lr: seen.append((i, lr)))
    assert [os.path.basename(p) for p in written] == ["decoder_iter_2.pdparams", "decoder_iter_3.pdparams"]
    assert seen == [(1, 1e-4), (2, 1e-4 / (1 + 5e-5)), (3, 1e-4 / (1 + 2 * 5e-5))]
    files = sorted(os.listdir(tmp_path / "exp"))
    assert files == ["decoder_iter_2.pdparams", "decoder_iter_3.pdparams", "latest_net_decoder.pdparams",
                     "latest_optim.pdopt", "latest_trainer.pdstate", "opt.yaml", "samples", "vgg.pdparams"]
    assert sorted(os.listdir(tmp_path / "exp" / "samples")) == ["iter_000002.png", "iter_000003.png"]
    assert any(f.startswith("vdlrecords") for f in os.listdir(tmp_path / "logs"))
    pipe = AdaINPipeline.from_pretrained(vgg=tmp_path / "exp" / "vgg.pdparams",
                                         decoder=tmp_path / "exp" / "decoder_iter_3.pdparams")
    assert pipe.transfer(ref.io()["content"], ref.io()["style0"]).shape == (24, 32, 3)
    with pytest.raises(FileExistsError, match="already holds checkpoints"):
        AdaINTrainer(_config(folders, weights, tmp_path, "--max_iter", "3"))
    with pytest.raises(ValueError, match="lr: saved 0.0001, given 0.001"):
        AdaINTrainer(_config(folders, weights, tmp_path, "--continue_train", "--lr", "1e-3"))


def test_resume_is_exact(folders, weights, tmp_path):
    straight = AdaINTrainer(_config(folders, weights, tmp_path / "a", "--max_iter", "4", "--save_model_interval", "4"))
    straight.train()
    first = AdaINTrainer(_config(folders, weights, tmp_path / "b", "--max_iter", "2", "--save_model_interval", "2"))
    first.train()
    resumed = AdaINTrainer(_config(folders, weights, tmp_path / "b", "--max_iter", "4", "--save_model_interval", "4",
                                   "--continue_train"))
    assert resumed.iteration == 2
    resumed.train()
    for key, value in straight.net.decoder.state_dict().items():
        np.testing.assert_array_equal(resumed.net.decoder.state_dict()[key].numpy(), value.numpy(), err_msg=key)


def test_diverged_loss_stops_without_saving(folders, weights, tmp_path):
    trainer = AdaINTrainer(_config(folders, weights, tmp_path, "--max_iter", "2", "--save_model_interval", "1"))
    trainer.net.forward = lambda c, s: (paddle.to_tensor(float("nan")), paddle.to_tensor(1.0))
    with pytest.raises(TrainingDiverged, match="content loss is nan at iteration 1"):
        trainer.train()
    assert not [f for f in os.listdir(tmp_path / "exp") if f.startswith("decoder_iter")]


def test_options_and_demo_defaults(tmp_path, monkeypatch):
    cfg = config_from_args([])
    assert cfg.demo and cfg.max_iter == DEMO_DEFAULTS["max_iter"] and cfg.crop_size == DEMO_DEFAULTS["crop_size"]
    assert config_from_args(["--max_iter", "7"]).max_iter == 7
    assert config_from_args(["--lr_decay", "0", "--seed", "0"]).lr_decay == 0.0  # zero is a value, not "unset"
    full = config_from_args(["--content_dir", "c", "--style_dir", "s"])
    assert (full.max_iter, full.batch_size, full.lr, full.lr_decay, full.save_model_interval) == (160000, 8, 1e-4, 5e-5, 10000)
    with pytest.raises(ValueError, match="give both --content_dir and --style_dir"):
        config_from_args(["--content_dir", "c"])
    with pytest.raises(ValueError, match="--crop_size 64 is larger than --load_size 32"):
        config_from_args(["--load_size", "32", "--crop_size", "64"])
    monkeypatch.chdir(tmp_path)  # no models/vgg_normalised.pth here: the ImageNet VGG is the fallback
    assert cfg.resolved_vgg() == "imagenet"


def test_no_vgg_offline_is_a_clear_error_before_any_data(monkeypatch, tmp_path):
    import paddle.vision.models as models
    from paddle_inade.adain.weights import imagenet_vgg_state

    def offline(pretrained=False):
        raise ConnectionError("no route to host")
    monkeypatch.setattr(models, "vgg19", offline)
    with pytest.raises(RuntimeError, match="no pretrained VGG weights offline: download vgg_normalised.pth"):
        imagenet_vgg_state(31)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PADDLE_INADE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(RuntimeError, match=r"no --vgg given and models/vgg_normalised.pth does not exist: "
                                           r"no VGG weights: .*ConnectionError: no route to host"):
        AdaINTrainer(config_from_args(["--save_dir", str(tmp_path / "exp")]))
    assert not (tmp_path / "cache").exists() and not (tmp_path / "exp").exists()


def test_data_streams_are_functions_of_seed_and_iteration(folders):
    order = sample_indices(5, 3, 0, 15)
    assert all(sorted(order[e * 5:(e + 1) * 5]) == list(range(5)) for e in range(3))
    np.testing.assert_array_equal(sample_indices(5, 3, 7, 4), order[7:11])
    stream = BatchStream(FlatFolderDataset(folders[0], "content_dir", 20, 16), 2, seed=1, n_threads=2)
    try:
        np.testing.assert_array_equal(stream.batch(3), stream.batch(3))
        assert stream.batch(3).shape == (2, 16, 16, 3)
    finally:
        stream.close()


def test_textures_are_deterministic():
    a = render_texture(np.random.default_rng(5), 32)
    assert a.shape == (32, 32, 3) and a.dtype == np.uint8 and a.std() > 5
    np.testing.assert_array_equal(a, render_texture(np.random.default_rng(5), 32))
    assert not np.array_equal(a, render_texture(np.random.default_rng(6), 32))


def test_train_tool_runs_and_reports(folders, weights, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(ROOT / "tools" / "train_adain.py"), "--content_dir", folders[0], "--style_dir",
           folders[1], "--vgg", str(weights[0]), "--save_dir", str(tmp_path / "exp"), "--log_dir",
           str(tmp_path / "logs"), "--max_iter", "1", "--batch_size", "1", "--load_size", "16", "--crop_size", "16"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "decoder_iter_1.pdparams" in proc.stdout and "tools/style_transfer.py --vgg" in proc.stdout
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "error: " in proc.stderr and "--continue_train" in proc.stderr


def test_tools_are_quiet_and_help_shows_defaults():
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for tool, default in (("style_transfer", "(default: 512)"), ("train_adain", "(default: 0.0001)")):
        proc = subprocess.run([sys.executable, str(ROOT / "tools" / f"{tool}.py"), "--help"], capture_output=True,
                              text=True, env=env)
        assert proc.returncode == 0 and proc.stderr == "", (tool, proc.stderr)
        assert default in proc.stdout and "pytorch-AdaIN" in proc.stdout, tool
