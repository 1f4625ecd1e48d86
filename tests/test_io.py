"""paddle_inade.files, .weights, .runs, .saved_options: atomic files and folders, the one strict
weight loader, run folders, saved options."""
from __future__ import annotations

import os
import pickle
import shutil
import struct
import subprocess
import sys

import numpy as np
import paddle
import pytest

from conftest import FIXTURES, ROOT
from paddle_inade import INADEConfig, build_discriminator, build_generator
from paddle_inade.files import atomic_folder, atomic_save, atomic_write, atomic_write_all, atomic_write_text
from paddle_inade.runs import check_run_folder
from paddle_inade.saved_options import read_options_file, read_saved_options
from paddle_inade.weights import TorchState, WeightMismatchError, load_state_file, load_weights
from torch_format import write_torch_zip

TOY = INADEConfig.preset("toy", ngf=2, crop_size=32)


class Boom(RuntimeError):
    pass


def listing(folder) -> list[str]:
    return sorted(os.listdir(folder))


# --------------------------------------------------------------------------- atomic files
@pytest.mark.parametrize("cut", [0, 1, 7, 4096, 50_000])
def test_an_exception_mid_write_leaves_the_old_file(tmp_path, cut):
    target = tmp_path / "file.bin"
    old = os.urandom(20_000)
    target.write_bytes(old)
    new = os.urandom(60_000)

    def write(tmp):
        with open(tmp, "wb") as fh:
            fh.write(new[:cut])
            raise Boom("interrupted")

    with pytest.raises(Boom):
        atomic_write(target, write)
    assert target.read_bytes() == old
    assert listing(tmp_path) == ["file.bin"]
    atomic_write(target, lambda tmp: open(tmp, "wb").write(new))  # noqa: SIM115
    assert target.read_bytes() == new and listing(tmp_path) == ["file.bin"]


def test_written_files_get_the_usual_permissions(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "x")
    (tmp_path / "b.txt").write_text("x")
    assert os.stat(tmp_path / "a.txt").st_mode == os.stat(tmp_path / "b.txt").st_mode


def test_a_set_of_files_is_replaced_only_when_all_are_written(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).write_text("old " + name)

    def fail(tmp):
        raise Boom("third file failed")

    items = [(tmp_path / "a", lambda t: open(t, "w").write("new a")),  # noqa: SIM115
             (tmp_path / "b", lambda t: open(t, "w").write("new b")), (tmp_path / "c", fail)]  # noqa: SIM115
    with pytest.raises(Boom):
        atomic_write_all(items)
    assert [(tmp_path / n).read_text() for n in "abc"] == ["old a", "old b", "old c"]
    assert listing(tmp_path) == ["a", "b", "c"]


def test_atomic_save_round_trip_and_missing_folders_created(tmp_path):
    atomic_save(tmp_path / "sub" / "w.pdparams", {"x": paddle.to_tensor(np.arange(3, dtype="float32"))})
    np.testing.assert_array_equal(load_state_file(tmp_path / "sub" / "w.pdparams")["x"], [0, 1, 2])


# --------------------------------------------------------------------------- atomic folders
def fill(folder, files):
    for name, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
        with open(os.path.join(folder, name), "w") as fh:
            fh.write(text)


@pytest.mark.parametrize("fail_after", [0, 1, 3])
def test_a_failing_block_leaves_the_old_folder(tmp_path, fail_after):
    out = tmp_path / "results"
    fill(out, {"index.html": "old", "images/a.png": "old a"})
    with pytest.raises(Boom):
        with atomic_folder(out) as tmp:
            fill(tmp, {f"images/{i}.png": "new" for i in range(fail_after)})
            raise Boom("generation failed")
    assert (out / "index.html").read_text() == "old" and listing(out / "images") == ["a.png"]
    assert listing(tmp_path) == ["results"]


def test_a_complete_block_replaces_the_folder_and_an_empty_one_never_does(tmp_path):
    out = tmp_path / "results"
    fill(out, {"index.html": "old", "stale.png": "old"})
    with pytest.raises(ValueError, match=r"nothing was written for .*results; the existing folder is kept"):
        with atomic_folder(out):
            pass
    assert listing(out) == ["index.html", "stale.png"]
    with atomic_folder(out) as tmp:
        fill(tmp, {"index.html": "new"})
    assert listing(out) == ["index.html"] and (out / "index.html").read_text() == "new"
    assert listing(tmp_path) == ["results"]
    (tmp_path / "plain").mkdir()
    assert os.stat(out).st_mode == os.stat(tmp_path / "plain").st_mode  # not a private temp-folder mode


def test_atomic_folder_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(FileExistsError, match="exists and is not a folder"):
        with atomic_folder(tmp_path / "out"):
            pass
    assert (tmp_path / "out").read_text() == "a file"


# --------------------------------------------------------------------------- reading weight files
def test_load_state_file_recognises_both_formats_by_content(tmp_path):
    net = build_generator(TOY, init=False)
    paddle.save(net.state_dict(), str(tmp_path / "G.pth"))  # a Paddle file with a torch name
    write_torch_zip(tmp_path / "G.pdparams", {"fc.weight": np.ones((2, 3), np.float32)})
    assert not isinstance(load_state_file(tmp_path / "G.pth"), TorchState)
    torch_state = load_state_file(tmp_path / "G.pdparams")
    assert isinstance(torch_state, TorchState) and torch_state["fc.weight"].shape == (2, 3)


def test_load_state_file_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"absent.pdparams: no such weights file"):
        load_state_file(tmp_path / "absent.pdparams")
    with pytest.raises(ValueError, match=r"is a folder, not a weights file"):
        load_state_file(tmp_path)
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty.pth: empty file"):
        load_state_file(tmp_path / "empty.pth")
    (tmp_path / "random.pth").write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(ValueError, match=r"random.pth is neither a Paddle state dict .* nor a PyTorch "
                                         r"checkpoint .*not a pickle or zip file"):
        load_state_file(tmp_path / "random.pth")
    (tmp_path / "legacy.pth").write_bytes(b"\x80\x02\x8a\x0a" + b"\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19")
    with pytest.raises(ValueError, match=r"legacy.pth: not a readable legacy \(pre-1.6\) torch checkpoint"):
        load_state_file(tmp_path / "legacy.pth")
    paddle.save([1, 2, 3], str(tmp_path / "list.pdparams"))
    with pytest.raises(ValueError, match=r"list.pdparams holds a list, not a state dict"):
        load_state_file(tmp_path / "list.pdparams")
    (tmp_path / "cut.pdparams").write_bytes(_paddle_bytes(tmp_path)[:100])
    with pytest.raises(ValueError, match=r"cut.pdparams is neither .* or it is damaged"):
        load_state_file(tmp_path / "cut.pdparams")


def _paddle_bytes(tmp_path) -> bytes:
    paddle.save({"w": paddle.ones([64, 64])}, str(tmp_path / "whole.pdparams"))
    return (tmp_path / "whole.pdparams").read_bytes()


def test_damaged_torch_tensor_names_the_file(tmp_path):
    """A pickle whose tensor needs more elements than its storage holds (a damaged file)."""
    from torch_format import state_dict_pickle
    array = np.zeros((4, 4, 3, 62), np.float32)
    pkl = state_dict_pickle({"w": array})
    numel = pickle.BININT + struct.pack("<i", array.size)
    assert pkl.count(numel) == 1
    write_torch_zip(tmp_path / "G.pth", {"w": array[0, 0, 0, :36].repeat(4)},
                    pickle_bytes=pkl.replace(numel, pickle.BININT + struct.pack("<i", 144)))
    with pytest.raises(ValueError, match=r"G.pth: damaged checkpoint: a tensor of size \(4, 4, 3, 62\) "
                                         r"needs 2976 elements, its storage has 144"):
        load_state_file(tmp_path / "G.pth")


# --------------------------------------------------------------------------- the strict loader
def state_of(net) -> dict:
    return {k: v.numpy().copy() for k, v in net.state_dict().items()}


def assert_unchanged(net, before):
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)


def test_load_weights_round_trip_pdparams_and_pth(tmp_path):
    from torch_format import torch_layout_state
    paddle.seed(1)
    source = build_generator(TOY)
    paddle.save(source.state_dict(), str(tmp_path / "G.pdparams"))
    write_torch_zip(tmp_path / "G.pth", torch_layout_state(source))
    for name in ("G.pdparams", "G.pth"):
        target = build_generator(TOY, init=False)
        load_weights(target, tmp_path / name)
        for k, v in target.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), source.state_dict()[k].numpy(), err_msg=f"{name} {k}")


@pytest.mark.parametrize("file_cfg,expected", [
    (dict(contain_dontcare_label=True), r"label channels: the file was trained with 7 label channels, these "
     r"options give 6 .*add --contain_dontcare_label"),
    (dict(label_nc=9), r"the file was trained with 9 label channels.*pass --label_nc 9"),
    (dict(noise_nc=4), r"--noise_nc 4"),
    (dict(z_dim=16), r"--z_dim 16"),
    (dict(norm_mode="spade", use_vae=False, prior_fraction=0.0), r"--norm_mode spade"),
    (dict(num_upsampling_layers="most", crop_size=128), r"--num_upsampling_layers"),
    (dict(add_sketch=True), r"--add_sketch"),
    (dict(ngf=4), r"--ngf 4"),
])
def test_mismatch_names_the_likely_option_and_loads_nothing(tmp_path, file_cfg, expected):
    paddle.seed(0)
    other = build_generator(TOY.replace(**file_cfg))
    paddle.save(other.state_dict(), str(tmp_path / "G.pdparams"))
    net = build_generator(TOY)
    before = state_of(net)
    with pytest.raises(WeightMismatchError, match=r"G.pdparams does not fit SPADEGenerator: .*Likely cause: "
                                                  ".*" + expected) as info:
        load_weights(net, tmp_path / "G.pdparams")
    assert len(str(info.value)) < 1200, "the message stays readable"
    assert_unchanged(net, before)


def test_the_wrong_network_is_named(tmp_path):
    paddle.save(build_discriminator(TOY).state_dict(), str(tmp_path / "latest_net_D.pdparams"))
    with pytest.raises(WeightMismatchError, match=r"Likely cause: the file holds the weights of a discriminator "
                                                  r"\(\*_net_D\), not of a generator \(\*_net_G\)"):
        load_weights(build_generator(TOY), tmp_path / "latest_net_D.pdparams")


def test_keys_of_no_known_network():
    with pytest.raises(WeightMismatchError, match=r"Likely cause: none of the file's 2 keys belong to this network"):
        load_weights(build_generator(TOY), {"foo.weight": np.zeros(2, np.float32), "bar": np.zeros(1, np.float32)})


def test_a_state_dict_in_memory_and_the_source_name(tmp_path):
    net = build_generator(TOY)
    state = state_of(net)
    state["extra.weight"] = np.zeros(2, np.float32)
    del state["fc.bias"]
    with pytest.raises(WeightMismatchError, match=r"my weights does not fit SPADEGenerator: 1 missing: fc.bias; "
                                                  r"1 unexpected: extra.weight"):
        load_weights(build_generator(TOY), state, source="my weights")


def test_inference_loads_weights_without_the_training_engine():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import paddle_inade.pipeline, paddle_inade.inference, paddle_inade.eval.inception\n"
            "import paddle_inade.weights, paddle_inade.saved_options\n"
            "paddle_inade.saved_options.read_saved_options(%r)\n"
            "bad = [m for m in sys.modules if m.startswith('paddle_inade.engine')]\n"
            "assert not bad, bad\n") % (str(ROOT), str(FIXTURES / "original_run"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- saved options
def test_read_saved_options_of_the_original_opt_txt():
    saved = read_saved_options(FIXTURES / "original_run")
    assert saved.path.endswith("opt.txt")
    cfg = INADEConfig.from_dict(saved.model)
    assert (cfg.norm_mode, cfg.label_nc, cfg.ngf, cfg.z_dim, cfg.noise_nc, cfg.crop_size, cfg.use_vae) == \
        ("inade", 6, 2, 8, 4, 32, True)
    assert cfg.norm_G == "spectralspadebatch3x3" and cfg.init_variance == 1.0
    assert saved.data["label_dir"] == "/data/toy/train_label" and saved.data["max_dataset_size"] is None
    assert saved.train["batchSize"] == 4 and saved.train["gpu_ids"] == "-1"
    assert saved.original["netG"] == "spade" and saved.original["isTrain"] == "True"


def test_read_saved_options_prefers_opt_yaml_and_none_without(tmp_path):
    assert read_saved_options(tmp_path) is None
    shutil.copy(FIXTURES / "original_run" / "opt.txt", tmp_path / "opt.txt")
    (tmp_path / "opt.yaml").write_text("model:\n  label_nc: 3\n  norm_mode: inade\n")
    assert read_saved_options(tmp_path).model == {"label_nc": 3, "norm_mode": "inade"}
    (tmp_path / "opt.yaml").write_text("train:\n  batchSize: 3\n")
    with pytest.raises(ValueError, match=r"opt.yaml: not an options file written by paddle_inade"):
        read_saved_options(tmp_path)


def test_bad_options_files_are_named_with_what_is_wrong(tmp_path):
    text = (FIXTURES / "original_run" / "opt.txt").read_text()
    (tmp_path / "opt.txt").write_text(text.replace("label_nc: 6 ", "label_nc: six"))
    with pytest.raises(ValueError, match=r"opt.txt: option label_nc has value 'six', expected int"):
        read_saved_options(tmp_path)
    (tmp_path / "opt.txt").write_text(text + "this is not an option line\n")
    with pytest.raises(ValueError, match=r"opt.txt, line \d+: expected '<option>: <value>'"):
        read_saved_options(tmp_path)
    (tmp_path / "opt.txt").write_text(text.replace("netG: spade ", "netG: pix2pixhd "))
    with pytest.raises(ValueError, match=r"--netG pix2pixhd is not supported"):
        read_saved_options(tmp_path)
    (tmp_path / "cfg.yaml").write_text("label_nc: 3\nlable_nc: 4\ndisplay_winsize: 256\n")
    with pytest.raises(ValueError, match=r"cfg.yaml: unknown option\(s\) \['lable_nc'\]"):
        read_options_file(tmp_path / "cfg.yaml")


def test_the_original_dump_works_as_a_config_file(tmp_path):
    """What the original prints/saves (with its own option names) is accepted, not refused."""
    saved = read_options_file(FIXTURES / "original_run" / "opt.txt")
    assert saved.model["label_nc"] == 6 and "display_winsize" in saved.original


def test_a_mistyped_run_folder_lists_the_runs(tmp_path):
    for run in ("toy_inade", "ade_run"):
        (tmp_path / run).mkdir()
    assert check_run_folder(tmp_path / "toy_inade") == str(tmp_path / "toy_inade")
    with pytest.raises(FileNotFoundError, match=r"no run folder .*toy_inad \(.* holds: ade_run, toy_inade\); "
                                                r"did you mean --name toy_inade\?"):
        check_run_folder(tmp_path / "toy_inad")
    with pytest.raises(FileNotFoundError, match=r"does not exist \(check --checkpoints_dir\)"):
        check_run_folder(tmp_path / "nowhere" / "toy_inade")
