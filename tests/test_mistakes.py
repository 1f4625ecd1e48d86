"""Ordinary mistakes with every tool and the API (issue 14): each gets a message saying what is
wrong, where and what to do, and nothing is written or overwritten."""
from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import paddle
import pytest

from conftest import FIXTURES, ROOT, snapshot
from paddle_inade import build_encoder, build_generator
from paddle_inade.data.toy_scenes import render_scene
from paddle_inade.pipeline import INADEPipeline
from test_pipeline import CFG, load_tool, make_experiment
from torch_format import torch_layout_state, write_torch_zip


@pytest.fixture(scope="module")
def pipe():
    paddle.seed(0)
    return INADEPipeline(CFG, build_generator(CFG), build_encoder(CFG))


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory):
    from paddle_inade.data.toy_scenes import write_toy_dataset
    return write_toy_dataset(str(tmp_path_factory.mktemp("toy") / "toy"), n_images=2, size=32, n_val=3)


@pytest.fixture()
def run(tmp_path, pipe, toy_root):
    """checkpoints/toy_inade (opt.yaml, latest_net_G/E) and a results folder from an earlier test."""
    make_experiment(tmp_path / "checkpoints" / "toy_inade", pipe, dataroot=toy_root)
    results = tmp_path / "results" / "toy_inade" / "test_latest"
    (results / "images").mkdir(parents=True)
    (results / "index.html").write_text("earlier results")
    return tmp_path


def run_tool(name, argv, capsys):
    code = load_tool(name).main(argv)
    return code, capsys.readouterr().err


# --------------------------------------------------------------------------- a mistyped run
@pytest.mark.parametrize("tool", ["test", "export", "eval_diversity", "eval_quality"])
def test_a_mistyped_name_lists_the_runs(run, capsys, tool):
    before = snapshot(run)
    argv = ["--name", "toy_inad", "--checkpoints_dir", str(run / "checkpoints"), "--gpu_ids", "-1"]
    argv += {"test": ["--results_dir", str(run / "results")], "export": ["--out", str(run / "exported" / "x")],
             "eval_quality": ["--dataset_mode", "toy"]}.get(tool, [])
    code, err = run_tool(tool, argv, capsys)
    assert code == 2
    assert "error: no run folder" in err and "toy_inad" in err and "holds: toy_inade" in err
    assert "did you mean --name toy_inade?" in err
    assert snapshot(run) == before


def test_a_wrong_checkpoints_dir_and_the_api(run, capsys):
    code, err = run_tool("test", ["--name", "toy_inade", "--checkpoints_dir", str(run / "checkpoint"),
                                  "--gpu_ids", "-1"], capsys)
    assert code == 2 and "checkpoint does not exist (check --checkpoints_dir)" in err
    with pytest.raises(FileNotFoundError, match=r"no run folder .*toy_inad \(.*holds: toy_inade\)"):
        INADEPipeline.from_checkpoint(run / "checkpoints" / "toy_inad")


# --------------------------------------------------------------------------- test.py counts, phase
@pytest.mark.parametrize("option,value,message", [
    ("--how_many", "0", "--how_many 0: nothing to generate"),
    ("--how_many", "-3", "--how_many -3: nothing to generate"),
    ("--n_samples", "0", "--n_samples 0 must be >= 1"),
    ("--batchSize", "0", "--batchSize 0 must be >= 1"),
    ("--phase", "bogus", "phase 'bogus' is not one of ['train', 'val', 'test']"),
    ("--gpu_ids", "x", "--gpu_ids 'x': expected GPU ids"),
])
def test_test_tool_refuses_and_keeps_the_earlier_results(run, capsys, option, value, message):
    before = snapshot(run)
    argv = ["--name", "toy_inade", "--checkpoints_dir", str(run / "checkpoints"), "--results_dir",
            str(run / "results"), "--gpu_ids", "-1", option, value]
    code, err = run_tool("test", argv, capsys)
    assert code == 2 and message in err, err
    assert snapshot(run) == before  # the earlier results folder is untouched, nothing new


def test_results_are_replaced_only_by_a_complete_folder(run, capsys, monkeypatch):
    from paddle_inade import inference
    real = inference._write_batch
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("generation failed half way")
        return real(*args, **kwargs)

    monkeypatch.setattr(inference, "_write_batch", failing)
    before = snapshot(run)
    argv = ["--name", "toy_inade", "--checkpoints_dir", str(run / "checkpoints"), "--results_dir",
            str(run / "results"), "--gpu_ids", "-1"]
    code, err = run_tool("test", argv, capsys)
    assert code == 2 and "generation failed half way" in err
    assert snapshot(run) == before
    monkeypatch.setattr(inference, "_write_batch", real)
    assert run_tool("test", argv, capsys)[0] == 0
    out = run / "results" / "toy_inade" / "test_latest"
    assert len(os.listdir(out / "images" / "synthesized_image")) == 3
    assert "earlier results" not in (out / "index.html").read_text()
    assert sorted(os.listdir(out.parent)) == ["test_latest"]  # no temporary folders left


# --------------------------------------------------------------------------- eval_fid
def test_eval_fid_statistics_of_other_dims_and_a_wrong_weights_file(tmp_path, capsys, pipe):
    np.savez(tmp_path / "real.npz", mu=np.zeros(64), sigma=np.eye(64))
    code, err = run_tool("eval_fid", [str(tmp_path / "real.npz"), str(tmp_path), "--dims", "192",
                                      "--inception_weights", str(tmp_path / "absent.pth"), "--gpu_ids", "-1"], capsys)
    assert code == 2 and "real.npz holds statistics of 64-dim features but --dims is 192: pass --dims 64" in err
    write_torch_zip(tmp_path / "G.pth", torch_layout_state(pipe.netG))
    for i in range(2):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((8, 8, 3), 40 * i, np.uint8))
    code, err = run_tool("eval_fid", [str(tmp_path), str(tmp_path), "--dims", "64", "--save_stats",
                                      str(tmp_path / "stats.npz"), "--inception_weights", str(tmp_path / "G.pth"),
                                      "--gpu_ids", "-1"], capsys)
    assert code == 2
    assert "G.pth does not fit FIDInceptionV3" in err and "generator (*_net_G)" in err
    assert "pt_inception-2015-12-05-6726825d.pth" in err and "--net" not in err and "--preset" not in err
    assert not (tmp_path / "stats.npz").exists()
    code, err = run_tool("eval_fid", [str(tmp_path), str(tmp_path), "--save_stats", str(tmp_path / "stats"),
                                      "--inception_weights", str(tmp_path / "G.pth")], capsys)
    assert code == 2 and "use a name ending in .npz" in err


# --------------------------------------------------------------------------- convert_weights
def convert(argv, capsys):
    return run_tool("convert_weights", argv, capsys)


def test_convert_names_what_a_file_is(tmp_path, capsys, pipe):
    paddle.save(pipe.netG.state_dict(), str(tmp_path / "G.pdparams"))
    (tmp_path / "random.pth").write_bytes(np.random.default_rng(1).bytes(1000))
    for src, message in (("G.pdparams", r"is a Paddle state dict already \(paddle.save\): there is nothing to convert"),
                         ("random.pth", "is neither a Paddle state dict .* nor a PyTorch checkpoint")):
        code, err = convert(["--src", str(tmp_path / src), "--dst", str(tmp_path / "out.pdparams"), "--net", "G",
                             "--preset", "toy"], capsys)
        assert code == 2 and "legacy" not in err
        assert __import__("re").search(message, err), err
    assert not (tmp_path / "out.pdparams").exists()


def test_convert_names_the_missing_dontcare_option_briefly(tmp_path, capsys):
    ref = FIXTURES / "tiny_inade"  # trained with label_nc 5 + contain_dontcare_label
    argv = ["--src", str(ref / "G.pth"), "--dst", str(tmp_path / "G.pdparams"), "--net", "G", "--norm_mode", "inade",
            "--use_vae", "--ngf", "4", "--z_dim", "16", "--noise_nc", "4", "--label_nc", "5", "--crop_size", "64"]
    code, err = convert(argv, capsys)
    assert code == 2 and "add --contain_dontcare_label" in err and len(err) < 1500
    assert "Nothing was written; check --net G" in err and not (tmp_path / "G.pdparams").exists()
    assert convert(argv + ["--contain_dontcare_label"], capsys)[0] == 0


def test_convert_takes_the_original_opt_txt_as_config(tmp_path, capsys):
    from test_test_tool import write_original_weights
    write_original_weights(tmp_path / "run")
    code, err = convert(["--src", str(tmp_path / "run" / "latest_net_G.pth"), "--dst", str(tmp_path / "G.pdparams"),
                         "--net", "G", "--config", str(FIXTURES / "original_run" / "opt.txt")], capsys)
    assert code == 0, err
    assert (tmp_path / "G.pdparams").is_file()


# --------------------------------------------------------------------------- demo, export, eval_diversity
def test_demo_checks_its_output_before_generating(run, capsys, monkeypatch):
    from paddle_inade import pipeline as pipeline_module
    monkeypatch.setattr(pipeline_module.INADEPipeline, "restyle",
                        lambda *a, **k: pytest.fail("generated before checking --out"))
    files = {}
    label, inst, image = render_scene(np.random.default_rng(5), 32)[:3]
    for key, array in (("label", label), ("instance", inst), ("image", image[..., ::-1])):
        files[key] = str(run / f"{key}.png")
        cv2.imwrite(files[key], array)
    argv = ["--name", "toy_inade", "--checkpoints_dir", str(run / "checkpoints"), "--gpu_ids", "-1",
            "--label", files["label"], "--instance", files["instance"], "--ref_image", files["image"],
            "--ref_label", files["label"], "--ref_instance", files["instance"], "--map", "1:1"]
    before = snapshot(run)
    code, err = run_tool("demo", argv + ["--out", str(run / "missing_dir" / "x.png")], capsys)
    assert code == 2 and "missing_dir does not exist" in err
    code, err = run_tool("demo", argv + ["--out", str(run / "montage.xyz")], capsys)
    assert code == 2 and "not an image name OpenCV can write" in err
    assert snapshot(run) == before


def test_demo_lists_instance_ids_and_a_wrong_id_points_to_the_list(run, capsys):
    label, inst, image = render_scene(np.random.default_rng(5), 32)[:3]
    files = {}
    for key, array in (("label", label), ("instance", inst), ("image", image[..., ::-1])):
        files[key] = str(run / f"ids_{key}.png")
        cv2.imwrite(files[key], array)
    maps = ["--label", files["label"], "--instance", files["instance"],
            "--ref_label", files["label"], "--ref_instance", files["instance"]]
    assert load_tool("demo").main(maps + ["--list"]) == 0
    out = capsys.readouterr().out
    ids = np.unique(inst)
    sky = int(ids[0])
    mask = inst == sky
    cls = int(np.bincount(label[mask].astype(np.int64)).argmax())
    row = f"  {sky:4d}  {cls:5d}  {int(mask.sum()):6d}"
    assert f"layout {files['instance']}: id  class  pixels  centre (x, y)" in out and row in out
    argv = ["--name", "toy_inade", "--checkpoints_dir", str(run / "checkpoints"), "--gpu_ids", "-1",
            "--ref_image", files["image"], "--map", f"{int(ids.max()) + 50}:1", "--out", str(run / "ids.png")] + maps
    code, err = run_tool("demo", argv, capsys)
    assert code == 2 and f"instance id {int(ids.max()) + 50} does not exist" in err
    assert "add --list to see each id's class and position" in err and not (run / "ids.png").exists()


def test_export_instance_count(run, capsys):
    argv = ["--name", "toy_inade", "--checkpoints_dir", str(run / "checkpoints"), "--gpu_ids", "-1",
            "--out", str(run / "exported" / "G")]
    code, err = run_tool("export", argv + ["--n_instances", "0"], capsys)
    assert code == 2 and "--n_instances 0 must be >= 1" in err and not (run / "exported").exists()
    toy_max = max(len(np.unique(render_scene(np.random.default_rng(s), 64)[1])) for s in range(300))
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "export.py"), "--help"], capture_output=True,
                         text=True).stdout
    shown = int(" ".join(out.split()).split("the most instances a layout may have (default: ")[1].split(")")[0])
    assert shown >= toy_max, (shown, toy_max)


@pytest.mark.parametrize("option,value,message", [("--n_samples", "1", "need at least 3 samples"),
                                                  ("--n_layouts", "1", "--n_layouts 1 must be >= 2")])
def test_eval_diversity_refuses_counts_that_give_no_number(run, capsys, option, value, message):
    argv = ["--name", "toy_inade", "--checkpoints_dir", str(run / "checkpoints"), "--gpu_ids", "-1",
            option, value, "--json", str(run / "d.json")]
    code, err = run_tool("eval_diversity", argv, capsys)
    assert code == 2 and message in err and not (run / "d.json").exists()


# --------------------------------------------------------------------------- the API
def test_api_inputs_that_look_right_but_are_not(pipe):
    label, inst, image = render_scene(np.random.default_rng(5), 32)[:3]
    with pytest.raises(ValueError, match=r"image must be uint8 RGB in 0..255, got float32 in \[0\.\d+, 1\]; for "
                                         r"floats in \[0, 1\] pass \(image \* 255\)"):
        pipe.generate(label, inst, image=image.astype(np.float32) / 255)
    with pytest.raises(ValueError, match=r"label has shape \(32, 32, 3\), a colour image \[H, W, 3\]: pass the "
                                         r"map of integer ids \[H, W\]"):
        pipe.generate(np.stack([label] * 3, -1), inst)
    with pytest.raises(ValueError) as info:
        pipe.encode(image[:16], inst)
    assert "image image" not in str(info.value) and "image [1, 16, 32] (N, H, W)" in str(info.value)
    with pytest.raises(ValueError, match=r"seed: expected an int, a numpy Generator or 1 ints"):
        pipe.generate(label, inst, seed=[1, 2])


def test_readme_loads_weights_strictly():
    readme = (ROOT / "README.md").read_text()
    assert "set_state_dict(paddle.load" not in readme
    assert "load_weights(" in readme


# --------------------------------------------------------------------------- training data
def _custom_dataset(tmp_path, n: int = 4, damage=None) -> list:
    """n toy scenes as a custom dataset (label/, inst/, img/ PNGs); ``damage(i, label, inst)``
    may change sample i's maps. Returns train.py's arguments for it."""
    for kind in ("label", "img", "inst"):
        (tmp_path / kind).mkdir()
    for i in range(n):
        label, inst, image = render_scene(np.random.default_rng(i), 32)[:3]
        if damage is not None:
            label, inst = damage(i, label, inst)
        cv2.imwrite(str(tmp_path / "label" / f"{i}.png"), label)
        cv2.imwrite(str(tmp_path / "inst" / f"{i}.png"), inst)
        cv2.imwrite(str(tmp_path / "img" / f"{i}.png"), image[..., ::-1])
    return ["--dataset_mode", "custom", "--label_dir", str(tmp_path / "label"), "--image_dir", str(tmp_path / "img"),
            "--instance_dir", str(tmp_path / "inst"), "--label_nc", "6", "--crop_size", "32", "--load_size", "32",
            "--preprocess_mode", "fixed", "--norm_mode", "inade", "--ngf", "2", "--z_dim", "8", "--noise_nc", "4",
            "--no_vgg_loss", "--batchSize", "2", "--max_steps", "4", "--name", "x", "--checkpoints_dir",
            str(tmp_path / "ck"), "--gpu_ids", "-1"]


def test_an_instance_map_of_another_size_stops_training_before_anything_is_written(tmp_path, capsys):
    def smaller(i, label, inst):
        return label, (cv2.resize(inst, (16, 16), interpolation=cv2.INTER_NEAREST) if i == 2 else inst)
    code, err = run_tool("train", _custom_dataset(tmp_path, damage=smaller), capsys)
    assert code == 2
    assert "inst/2.png is 16x16 but its label map" in err and "label/2.png is 32x32" in err
    assert not (tmp_path / "ck").exists()


def test_a_corrupt_label_png_stops_training_before_the_first_step(tmp_path, capsys):
    """The last sample's label PNG has damaged pixel data (its header and end chunk intact), as a
    broken copy leaves it: the loader would meet it only when training reached it."""
    argv = _custom_dataset(tmp_path, n=6)
    path = tmp_path / "label" / "5.png"
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    raw[middle:middle + 8] = bytes(b ^ 0xFF for b in raw[middle:middle + 8])
    path.write_bytes(bytes(raw))
    code, err = run_tool("train", argv, capsys)
    assert code == 2
    assert f"{path}: corrupt PNG" in err and "fix or remove these samples" in err
    assert not (tmp_path / "ck").exists()


# --------------------------------------------------------------------------- quiet tools
def test_tools_are_quiet_and_help_shows_defaults(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for tool in ("test", "demo", "app", "export", "eval_fid", "eval_diversity", "convert_weights", "make_instances"):
        proc = subprocess.run([sys.executable, str(ROOT / "tools" / f"{tool}.py"), "--help"], capture_output=True,
                              text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == "", (tool, proc.stderr)  # no "No ccache found"
        assert "(default:" in proc.stdout, tool


def test_export_and_the_predictor_are_quiet(run):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "export.py"), "--name", "toy_inade",
                           "--checkpoints_dir", str(run / "checkpoints"), "--gpu_ids", "-1", "--n_instances", "4",
                           "--out", str(run / "exported" / "G")], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr  # no "PIR not support input out tensor"
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import warnings; warnings.filterwarnings('ignore', 'No ccache')\n"
            "from paddle_inade.export import create_cpu_predictor\n"
            "create_cpu_predictor(%r)\n") % (str(ROOT), str(run / "exported" / "G"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "PIR" not in proc.stderr and "pir" not in proc.stderr, proc.stderr


def test_the_native_filter_keeps_everything_else(capfd):
    sys.path.insert(0, str(ROOT))
    from tools._common import quiet_native_stderr
    with pytest.raises(RuntimeError):
        with quiet_native_stderr(("known noise",)):
            os.write(2, b"a known noise line\nan error the user must see\n")
            raise RuntimeError("boom")
    err = capfd.readouterr().err
    assert "an error the user must see" in err and "known noise" not in err
