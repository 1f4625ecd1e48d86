"""No file the project reads runs code (issue 21): every weight, optimiser and trainer-state file
goes through the allow-listed reader (paddle_inade.safe_pickle).

Each hostile file carries a payload that would create a marker file when unpickled by
``pickle.load`` / ``paddle.load``; every check asserts that the marker does not exist, that the
refusal names the file, and (through the tools) that the exit status is non-zero.
"""
from __future__ import annotations

import builtins
import json
import os
import pickle
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import paddle
import pytest

from conftest import ROOT
from paddle_inade.engine.trainer_state import decode_rng_state, encode_rng_state, read_trainer_state
from paddle_inade.safe_pickle import PADDLE_GLOBALS, UnsafeFileError, read_paddle_file, scan_globals
from paddle_inade.weights import load_state_file
from torch_format import write_torch_zip

PAYLOADS = ("os.system", "eval", "exec", "subprocess")


class Payload:
    """Unpickled by pickle.load, it creates ``marker``."""

    def __init__(self, kind: str, marker: str):
        self.kind, self.marker = kind, str(marker)

    def __reduce__(self):
        m = self.marker
        if self.kind == "os.system":
            return os.system, (f"touch '{m}'",)
        if self.kind == "eval":
            return builtins.eval, (f"open({m!r}, 'w').close()",)
        if self.kind == "exec":
            return builtins.exec, (f"open({m!r}, 'w').close()",)
        return subprocess.call, (["touch", m],)


def hostile_bytes(kind: str, marker, protocol: int = 4, shape: str = "plain") -> bytes:
    """``plain``: the payload alone; ``in_state``: a valid state dict with the payload as one
    more value; ``paddle``: the object a real ``paddle.save`` wrote, plus the payload."""
    payload = Payload(kind, marker)
    if shape == "plain":
        obj = payload
    elif shape == "in_state":
        obj = {"w": np.ones((2, 3), np.float32), "b": np.zeros(3, np.float32), "evil": payload}
    else:
        obj = dict(_paddle_saved_object())
        obj["zz.hidden"] = payload
    return pickle.dumps(obj, protocol=protocol)


def _paddle_saved_object() -> dict:
    net = paddle.nn.Sequential(paddle.nn.Conv2D(2, 3, 3), paddle.nn.BatchNorm2D(3))
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"saved-{os.getpid()}.pdparams")
    paddle.save(net.state_dict(), path)
    with open(path, "rb") as fh:
        obj = pickle.load(fh)  # our own freshly written, payload-free file
    os.remove(path)
    return obj


CASES = [(kind, protocol, shape) for kind in PAYLOADS for protocol in (2, 4)
         for shape in ("plain", "in_state", "paddle")]


@pytest.mark.parametrize("kind,protocol,shape", CASES)
def test_load_state_file_refuses_every_payload_before_it_runs(tmp_path, kind, protocol, shape):
    marker = tmp_path / "RAN"
    for name in ("best_net_G.pth", "latest_net_G.pdparams"):
        path = tmp_path / name
        path.write_bytes(hostile_bytes(kind, marker, protocol, shape))
        with pytest.raises(UnsafeFileError, match=rf"{name}: refusing to load '\w+\.(system|eval|exec|call)'"):
            load_state_file(path)
        assert not marker.exists()


def test_the_scan_refuses_before_anything_is_built(tmp_path):
    """The first pass reads opcodes only: a file is refused even when its forbidden global comes
    after objects an unpickler would already have built."""
    data = pickle.dumps([np.zeros(3, np.float32), Payload("exec", tmp_path / "RAN")], protocol=4)
    with pytest.raises(UnsafeFileError, match=r"x.pdparams: refusing to load 'builtins.exec'"):
        scan_globals(data, PADDLE_GLOBALS, "x.pdparams")
    # a global whose name is not spelled out (STACK_GLOBAL on values that are not plain strings)
    sneaky = (pickle.PROTO + b"\x04" + pickle.SHORT_BINUNICODE + b"\x05posix" + pickle.EMPTY_TUPLE
              + pickle.STACK_GLOBAL + pickle.STOP)
    with pytest.raises(UnsafeFileError, match=r"not spelled out"):
        scan_globals(sneaky, PADDLE_GLOBALS, "x.pdparams")
    ext = pickle.PROTO + b"\x02" + pickle.EXT1 + b"\x01" + pickle.STOP
    with pytest.raises(UnsafeFileError, match=r"EXT1"):
        scan_globals(ext, PADDLE_GLOBALS, "x.pdparams")


def test_object_and_structured_arrays_are_refused(tmp_path):
    for array in (np.array([Payload("exec", tmp_path / "RAN")], dtype=object),
                  np.zeros(2, dtype=[("a", "f4"), ("b", "O")])):
        path = tmp_path / "w.pdparams"
        path.write_bytes(pickle.dumps({"w": array}, protocol=4))
        with pytest.raises(UnsafeFileError, match=r"w.pdparams"):
            load_state_file(path)
    assert not (tmp_path / "RAN").exists()


def test_paddle_files_read_as_paddle_load_reads_them(tmp_path):
    """Every value paddle.save writes for our state dicts and optimiser states comes back
    identical, through the allow-list (protocols 2, 3 and 4)."""
    net = paddle.nn.Sequential(paddle.nn.Conv2D(2, 3, 3), paddle.nn.BatchNorm2D(3), paddle.nn.Linear(3, 2))
    opt = paddle.optimizer.Adam(parameters=net.parameters(),
                                learning_rate=paddle.optimizer.lr.StepDecay(1e-3, step_size=2))
    net(paddle.randn([2, 2, 3, 5])).mean().backward()
    opt.step()
    for protocol in (2, 3, 4):
        for obj, name in ((net.state_dict(), "w.pdparams"), ({"G": opt.state_dict()}, "o.pdopt")):
            path = str(tmp_path / f"{protocol}{name}")
            paddle.save(obj, path, protocol=protocol)
            ours, theirs = read_paddle_file(path), paddle.load(path, return_numpy=True)
            _assert_same(ours, theirs)


def _assert_same(ours, theirs):
    if isinstance(theirs, dict):
        assert sorted(ours) == sorted(theirs)
        for key in theirs:
            _assert_same(ours[key], theirs[key])
    elif isinstance(theirs, np.ndarray):
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs


def test_a_flipped_byte_in_a_torch_zip_names_the_file(tmp_path):
    path = tmp_path / "G.pth"
    write_torch_zip(path, {"w": np.arange(64, dtype=np.float32), "b": np.ones(4, np.float32)})
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        offsets = [info.header_offset + 30 + len(info.filename) for info in archive.infolist()
                   if info.filename.endswith(("data.pkl", "byteorder")) or "/data/" in info.filename]
    assert len(offsets) >= 3  # the pickle and both storages: every member the reader reads
    for offset in offsets:
        bad = bytearray(raw)
        bad[offset] ^= 0xFF
        path.write_bytes(bytes(bad))
        with pytest.raises(ValueError, match=rf"{path}"):
            load_state_file(path)


# --------------------------------------------------------------------------- the trainer state
def test_trainer_state_is_json_and_old_pickles_still_resume(tmp_path):
    paddle.seed(5)
    states = paddle.get_rng_state()
    old = tmp_path / "old_trainer.pdstate"  # what runs before the JSON format wrote
    old.write_bytes(pickle.dumps({"epoch": 2, "epoch_iter": 4, "total_steps": 9, "lr": 2e-4,
                                  "paddle_rng": states, "files": {"a": "b"}}))
    loaded = read_trainer_state(str(old))
    assert loaded["epoch"] == 2 and loaded["files"] == {"a": "b"}
    want = paddle.randn([4]).numpy()
    paddle.set_rng_state(decode_rng_state(loaded["paddle_rng"]))
    np.testing.assert_array_equal(paddle.randn([4]).numpy(), want)
    paddle.set_rng_state(decode_rng_state(json.loads(json.dumps(encode_rng_state(states)))))
    np.testing.assert_array_equal(paddle.randn([4]).numpy(), want)


@pytest.mark.parametrize("kind", PAYLOADS)
def test_a_hostile_pickled_trainer_state_is_refused(tmp_path, kind):
    path = tmp_path / "latest_trainer.pdstate"
    path.write_bytes(pickle.dumps({"epoch": 1, "x": Payload(kind, tmp_path / "RAN")}))
    with pytest.raises(UnsafeFileError, match=r"latest_trainer.pdstate: refusing to load"):
        read_trainer_state(str(path))
    assert not (tmp_path / "RAN").exists()


# --------------------------------------------------------------------------- through the tools
def _tool(name, args, tmp_path, cache):
    env = {**os.environ, "PADDLE_INADE_CACHE": str(cache)}
    return subprocess.run([sys.executable, str(ROOT / "tools" / f"{name}.py"), *args], capture_output=True,
                          text=True, timeout=600, env=env, cwd=tmp_path)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """A 2-step run of the default toy preset (with EMA weights), made once."""
    root = tmp_path_factory.mktemp("hostile")
    proc = _tool("train", ["--max_steps", "2", "--checkpoints_dir", str(root / "ck"), "--quality_freq", "0"],
                 root, root / "cache")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return root


def _copy_run(toy_run, tmp_path):
    shutil.copytree(toy_run / "ck", tmp_path / "ck")
    return tmp_path / "ck" / "toy_inade"


def _check_refused(proc, marker, name):
    assert not marker.exists(), "the payload ran"
    assert proc.returncode != 0
    assert name in proc.stderr and "refusing to load" in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name,extra", [("latest_net_G_ema.pdparams", []), ("latest_net_E_ema.pdparams", []),
                                        ("latest_net_G.pdparams", ["--no-ema"]),
                                        ("latest_net_E.pdparams", ["--no-ema"])])
def test_test_tool_refuses_a_replaced_weights_file(toy_run, tmp_path, name, extra):
    run = _copy_run(toy_run, tmp_path)
    marker = tmp_path / "RAN"
    (run / name).write_bytes(hostile_bytes("os.system", marker))
    proc = _tool("test", ["--name", "toy_inade", "--checkpoints_dir", str(tmp_path / "ck"), "--how_many", "1",
                          "--results_dir", str(tmp_path / "res"), *extra], tmp_path, toy_run / "cache")
    _check_refused(proc, marker, name)


def test_continue_train_refuses_a_replaced_trainer_state(toy_run, tmp_path):
    run = _copy_run(toy_run, tmp_path)
    marker = tmp_path / "RAN"
    (run / "latest_trainer.pdstate").write_bytes(pickle.dumps({"epoch": Payload("eval", marker)}))
    proc = _tool("train", ["--continue_train", "--checkpoints_dir", str(tmp_path / "ck"), "--max_steps", "3"],
                 tmp_path, toy_run / "cache")
    _check_refused(proc, marker, "latest_trainer.pdstate")


def test_continue_train_refuses_a_replaced_optimiser_state_even_with_its_digest(toy_run, tmp_path):
    """The trainer state is plain JSON, so a forger can record the digest of his file: the
    reader itself must refuse the file."""
    from paddle_inade.engine.checkpoints import file_digest
    run = _copy_run(toy_run, tmp_path)
    marker = tmp_path / "RAN"
    (run / "latest_optim.pdopt").write_bytes(hostile_bytes("subprocess", marker, shape="paddle"))
    state = json.loads((run / "latest_trainer.pdstate").read_text())
    state["files"]["latest_optim.pdopt"] = file_digest(str(run / "latest_optim.pdopt"))
    (run / "latest_trainer.pdstate").write_text(json.dumps(state))
    proc = _tool("train", ["--continue_train", "--checkpoints_dir", str(tmp_path / "ck"), "--max_steps", "3"],
                 tmp_path, toy_run / "cache")
    _check_refused(proc, marker, "latest_optim.pdopt")


def test_convert_refuses_a_hostile_source(toy_run, tmp_path):
    marker = tmp_path / "RAN"
    (tmp_path / "evil.pth").write_bytes(hostile_bytes("exec", marker, shape="in_state"))
    proc = _tool("convert_weights", ["--src", str(tmp_path / "evil.pth"), "--dst", str(tmp_path / "G.pdparams"),
                                     "--net", "G", "--preset", "toy"], tmp_path, toy_run / "cache")
    _check_refused(proc, marker, "evil.pth")
    assert not (tmp_path / "G.pdparams").exists()


def test_style_transfer_refuses_hostile_weights(toy_run, tmp_path):
    import cv2
    marker = tmp_path / "RAN"
    image = (np.random.default_rng(0).uniform(0, 255, (32, 32, 3))).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "c.png"), image)
    (tmp_path / "evil.pth").write_bytes(hostile_bytes("os.system", marker, protocol=2))
    proc = _tool("style_transfer", ["--content", str(tmp_path / "c.png"), "--style", str(tmp_path / "c.png"),
                                    "--vgg", str(tmp_path / "evil.pth"), "--decoder", str(tmp_path / "evil.pth"),
                                    "--output", str(tmp_path / "out")], tmp_path, toy_run / "cache")
    _check_refused(proc, marker, "evil.pth")
    assert not (tmp_path / "out").exists()


def test_pipeline_refuses_a_hostile_released_checkpoint(tmp_path):
    from paddle_inade.pipeline import INADEPipeline
    marker = tmp_path / "RAN"
    folder = tmp_path / "inade_toy"
    folder.mkdir()
    (folder / "best_net_G.pth").write_bytes(hostile_bytes("os.system", marker, shape="in_state"))
    with pytest.raises(UnsafeFileError, match=r"best_net_G.pth: refusing to load 'posix.system'"):
        INADEPipeline.from_checkpoint(folder / "best_net_G.pth", preset="toy", device="cpu")
    assert not marker.exists()


# --------------------------------------------------------------------------- decompression bombs
def test_the_decompression_bomb_guard_stays_on_and_is_raised_per_call(tmp_path):
    from PIL import Image

    from paddle_inade.adain import images
    default = Image.MAX_IMAGE_PIXELS
    assert default is not None  # importing AdaIN left Pillow's guard on
    path = tmp_path / "huge.png"
    Image.new("1", (15000, 12000)).save(path)  # 180 million pixels, a few kilobytes on disk
    with pytest.raises(ValueError, match=r"huge.png: refused as a possible decompression bomb .*"
                                         r"pass --max_image_pixels N"):
        images.open_image(str(path), "--content")
    assert images.open_image(str(path), "--content", max_pixels=200_000_000).size == (15000, 12000)
    assert Image.MAX_IMAGE_PIXELS == default  # raised for that call only
