"""Torch-free checkpoint reading, name mapping, conversion CLI and released-checkpoint keys."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile

import numpy as np
import paddle
import pytest

from conftest import FIXTURES, ROOT, Reference, assert_close
from paddle_inade import INADEConfig, build_encoder, build_generator
from paddle_inade.convert import CheckpointFormatError, UnsafeCheckpointError, read_torch_checkpoint
from paddle_inade.weights import TorchState, WeightMismatchError, check_weights, load_torch_weights
from reference_nets import load_nets, tensors
from torch_format import malicious_pickle, write_torch_zip

G_PTH = FIXTURES / "tiny_inade" / "G.pth"


def test_reads_fixture_checkpoint():
    state = read_torch_checkpoint(G_PTH)
    assert state["fc.weight"].shape == (256, 16) and state["fc.weight"].dtype == np.float32
    assert state["head_0.conv_0.weight_orig"].shape == (64, 64, 3, 3)
    assert state["head_0.conv_0.weight_u"].shape == (64,)
    assert state["head_0.conv_0.weight_v"].shape == (576,)
    assert state["head_0.norm_0.param_free_norm.num_batches_tracked"].dtype == np.int64
    assert state["head_0.norm_0.param_free_norm.num_batches_tracked"].shape == ()


def test_reads_what_the_test_writer_writes(tmp_path):
    state = {"a": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.array(3, dtype=np.int64),
             "c": np.arange(5, dtype=np.float64)}
    write_torch_zip(tmp_path / "x.pth", state)
    out = read_torch_checkpoint(tmp_path / "x.pth")
    assert list(out) == ["a", "b", "c"]
    for k in state:
        np.testing.assert_array_equal(out[k], state[k])
        assert out[k].dtype == state[k].dtype


def test_truncated_file(tmp_path):
    data = G_PTH.read_bytes()
    bad = tmp_path / "truncated.pth"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointFormatError, match="truncated.pth"):
        read_torch_checkpoint(bad)


def test_missing_storage_and_short_storage(tmp_path):
    path = tmp_path / "short.pth"
    write_torch_zip(path, {"w": np.zeros((4, 4), np.float32)})
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["archive/data/0"] = entries["archive/data/0"][:16]
    with zipfile.ZipFile(path, "w") as zf:
        for name, raw in entries.items():
            zf.writestr(name, raw)
    with pytest.raises(CheckpointFormatError, match=r"short.pth.*(truncated|needs)"):
        read_torch_checkpoint(path)


def test_not_a_checkpoint_and_missing_file(tmp_path):
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(CheckpointFormatError, match="junk.pth"):
        read_torch_checkpoint(junk)
    with pytest.raises(CheckpointFormatError, match="nope.pth: no such file"):
        read_torch_checkpoint(tmp_path / "nope.pth")


def test_malicious_pickle_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth"
    write_torch_zip(evil, {}, pickle_bytes=malicious_pickle(f"touch {marker}"))
    with pytest.raises(UnsafeCheckpointError, match=r"evil.pth: refusing to load 'os.system'"):
        read_torch_checkpoint(evil)
    assert not marker.exists()
    G = build_generator(Reference("tiny_inade").config(), init=False)
    before = G.fc.weight.numpy().copy()
    with pytest.raises(UnsafeCheckpointError):
        load_torch_weights(G, str(evil))
    np.testing.assert_array_equal(G.fc.weight.numpy(), before)


class Small(paddle.nn.Layer):
    def __init__(self):
        super().__init__()
        self.fc = paddle.nn.Linear(3, 2)
        self.bn = paddle.nn.BatchNorm2D(2)
        self.conv = paddle.nn.Conv2D(2, 2, 1)


def test_name_map_transposes_linear_and_renames_batchnorm():
    torch_state = {"fc.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "fc.bias": np.ones(2, np.float32),
                   "bn.weight": np.ones(2, np.float32), "bn.bias": np.zeros(2, np.float32),
                   "bn.running_mean": np.array([1, 2], np.float32), "bn.running_var": np.array([3, 4], np.float32),
                   "bn.num_batches_tracked": np.array(5), "conv.weight": np.ones((2, 2, 1, 1), np.float32),
                   "conv.bias": np.zeros(2, np.float32)}
    layer = Small()
    load_torch_weights(layer, torch_state)
    np.testing.assert_array_equal(layer.fc.weight.numpy(), torch_state["fc.weight"].T)
    np.testing.assert_array_equal(layer.bn._mean.numpy(), [1, 2])
    np.testing.assert_array_equal(layer.bn._variance.numpy(), [3, 4])


def test_strict_mismatch_lists_everything_and_loads_nothing():
    layer = Small()
    before = {k: v.numpy().copy() for k, v in layer.state_dict().items()}
    bad = {"fc.weight": np.zeros((5, 3), np.float32), "fc.bias": np.zeros(2, np.float32),
           "extra.weight": np.zeros(1, np.float32)}
    with pytest.raises(WeightMismatchError) as info:
        load_torch_weights(layer, bad)
    msg = str(info.value)
    assert "missing" in msg and "conv.weight" in msg and "bn._mean" in msg
    assert "unexpected" in msg and "extra.weight" in msg
    assert "fc.weight (file [3, 5], network [3, 2])" in msg
    for k, v in layer.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_wrong_net_and_wrong_config_are_refused():
    ref = Reference("tiny_inade")
    G = build_generator(ref.config(), init=False)
    with pytest.raises(WeightMismatchError, match="D.pth does not fit SPADEGenerator"):
        load_torch_weights(G, str(ref.pth("D")))
    other = build_generator(ref.config().replace(label_nc=6), init=False)
    with pytest.raises(WeightMismatchError, match=r"head_0.norm_0.weight \(file \[6, 64, 2\], network \[7, 64, 2\]\)"):
        load_torch_weights(other, str(ref.pth("G")))


def _released():
    entries = json.loads((FIXTURES / "released_checkpoint_keys.json").read_text())
    for name, entry in entries.items():
        opts = entry["options"]
        opts = opts if isinstance(opts, dict) else ast.literal_eval(opts)
        keys = {n: (entry[n] if isinstance(entry[n], list) else ast.literal_eval(entry[n])) for n in ("G", "E")}
        yield name, opts, keys


@pytest.mark.parametrize("name,opts,keys", list(_released()), ids=[n for n, _, _ in _released()])
def test_released_checkpoint_keys_fit(name, opts, keys):
    cfg = INADEConfig.from_dict(opts, source=name)
    for net_name, build in (("G", build_generator), ("E", build_encoder)):
        net = build(cfg, init=False)
        fake = {key: np.broadcast_to(np.zeros((), dtype=dtype), shape) for key, shape, dtype in keys[net_name]}
        state = check_weights(net, TorchState(fake), source=name)  # raises on any difference
        assert sorted(state) == sorted(net.state_dict())
        del net


def test_convert_cli_round_trip(tmp_path):
    ref = Reference("tiny_inade")
    dst = tmp_path / "G.pdparams"
    cmd = [sys.executable, str(ROOT / "tools" / "convert_weights.py"), "--src", str(ref.pth("G")),
           "--dst", str(dst), "--net", "G", "--norm_mode", "inade", "--use_vae", "--ngf", "4",
           "--z_dim", "16", "--noise_nc", "4", "--label_nc", "5", "--contain_dontcare_label",
           "--crop_size", "64"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    G = build_generator(ref.config(), init=False)
    G.set_state_dict(paddle.load(str(dst)))
    G.eval()
    _, G_ref, E, _ = load_nets(ref)
    semantics, image, instances, noise, noise_ins = tensors(ref)
    s_mu, s_lv, b_mu, b_lv = E(image, instances)
    z = [s_mu, paddle.exp(0.5 * s_lv), b_mu, paddle.exp(0.5 * b_lv)]
    fake = G(semantics, z=z, input_instances=instances, noise=noise, noise_ins=noise_ins)
    assert_close(fake.numpy(), ref["fake_eval"], 1e-4, "converted G")


def test_convert_cli_wrong_net_writes_nothing(tmp_path):
    ref = Reference("tiny_inade")
    dst = tmp_path / "G.pdparams"
    cmd = [sys.executable, str(ROOT / "tools" / "convert_weights.py"), "--src", str(ref.pth("D")),
           "--dst", str(dst), "--net", "G", "--preset", "ade20k"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and "does not fit SPADEGenerator" in proc.stderr
    assert not dst.exists() and not list(tmp_path.iterdir())


def test_corrupt_legacy_file_names_the_file(tmp_path):
    legacy = tmp_path / "old.pth"
    legacy.write_bytes(b"\x80\x02\x8a\nlegacy torch magic number follows")  # pre-1.6 files are raw pickles
    with pytest.raises(CheckpointFormatError, match=r"old.pth: not a readable legacy \(pre-1.6\) torch"):
        read_torch_checkpoint(legacy)
