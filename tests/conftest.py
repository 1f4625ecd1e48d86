"""Shared fixtures: the reference outputs of the original PyTorch code (tests/fixtures)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
os.environ.setdefault("MKL_NUM_THREADS", str(os.cpu_count() or 1))
from paddle_inade.device import tune_mkl  # noqa: E402

tune_mkl()  # before the first MKL call (AVX2 kernels on AMD; see paddle_inade.device)

import paddle  # noqa: E402

#: The device the tests run on: ``PADDLE_INADE_TEST_DEVICE=gpu`` (or ``gpu:1``, ``xpu``, ...)
#: runs them on that device, e.g. the parity and fast-path tests on a GPU; default ``cpu``.
TEST_DEVICE = os.environ.get("PADDLE_INADE_TEST_DEVICE", "cpu").strip() or "cpu"
#: The reference numbers are float32 on a CPU: TensorFloat-32 matrix products would miss them.
_NO_TF32 = {"FLAGS_allow_tf32_cublas": False, "FLAGS_allow_tf32_cudnn": False}


def select_test_device(name: str) -> None:
    """``paddle.set_device(name)`` and a probe computation on it; a ``pytest.UsageError`` when
    this Paddle or machine cannot run there (never a silent fallback to the CPU)."""
    hint = f"PADDLE_INADE_TEST_DEVICE={name!r}"
    try:
        paddle.set_device(name)
        probe = paddle.ones([2]) + 1
        probe.numpy()
    except Exception as err:  # Paddle raises ValueError/RuntimeError/OSError, by build
        raise pytest.UsageError(f"{hint}: Paddle cannot run on this device here "
                                f"({type(err).__name__}: {err}); unset it to test on the CPU") from err
    kind = name.split(":")[0].lower()
    if kind not in str(probe.place).lower():
        raise pytest.UsageError(f"{hint}: tensors were placed on {probe.place}, not on {name}")
    if kind != "cpu":
        for flag, value in _NO_TF32.items():
            try:
                paddle.set_flags({flag: value})
            except (ValueError, RuntimeError):
                pass  # a build without that flag


def pytest_configure(config) -> None:
    select_test_device(TEST_DEVICE)


def pytest_report_header(config) -> str:
    return f"paddle_inade test device: {paddle.get_device()} (PADDLE_INADE_TEST_DEVICE)"


def rel_err(ours, ref) -> float:
    """||ours - ref|| / ||ref|| (NaN never passes: it propagates and fails the comparison)."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, f"shape {ours.shape} != reference {ref.shape}"
    return float(np.linalg.norm(ours - ref) / max(np.linalg.norm(ref), 1e-30))


def snapshot(folder) -> dict:
    """{relative path: (size, mtime)} of every file under ``folder``."""
    out = {}
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, folder)] = (os.path.getsize(path), os.path.getmtime(path))
    return out


def update_error(after, before, ref_after, ref_grad) -> float:
    """Relative error of our update (after - before) against the reference's (ref_after - before),
    all flat or all of one shape.

    Adam's first step is lr * sign(grad) wherever |grad| >> eps, so an element whose reference
    gradient is below the gradient's own tolerance (1e-3 x its rms) moves by +-lr by rounding
    alone: those elements are left out. A parameter without a gradient (``ref_grad`` None)
    must not move at all.
    """
    before = np.asarray(before, np.float64)
    ours = np.asarray(after, np.float64) - before
    ref_delta = np.asarray(ref_after, np.float64) - before
    if ref_grad is None:
        assert not ref_delta.any() and not ours.any(), "no gradient, yet it moved"
        return 0.0
    grad = np.asarray(ref_grad, np.float64)
    sure = np.abs(grad) > 1e-3 * np.sqrt(np.mean(grad ** 2))
    assert sure.mean() > 0.5 and np.abs(ref_delta[sure]).min() > 0, "the reference step changed nothing"
    return rel_err(ours[sure], ref_delta[sure])


def assert_close(ours, ref, tol: float, what: str) -> None:
    err = rel_err(ours, ref)
    assert err <= tol, f"{what}: relative error {err:.3g} > {tol}"


class Reference:
    """One fixture folder: config.json, io.npz and the torch state dicts."""

    def __init__(self, name: str):
        self.name = name
        self.dir = FIXTURES / name
        self.options = json.loads((self.dir / "config.json").read_text())
        self.io = np.load(self.dir / "io.npz")

    def config(self):
        from paddle_inade import INADEConfig
        from paddle_inade.config import INADEConfig as C
        keys = set(C.__dataclass_fields__)  # config.json also holds training options
        return INADEConfig.from_dict({k: v for k, v in self.options.items() if k in keys})

    def pth(self, net: str) -> Path:
        return self.dir / f"{net}.pth"

    def __getitem__(self, key):
        return self.io[key]


@pytest.fixture(scope="session", params=["tiny_inade", "tiny_spade", "spade_vae_256"])
def reference(request) -> Reference:
    return Reference(request.param)


@pytest.fixture(scope="session")
def tiny_inade() -> Reference:
    return Reference("tiny_inade")


@pytest.fixture(scope="session")
def tiny_spade() -> Reference:
    return Reference("tiny_spade")
