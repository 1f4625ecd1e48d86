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

#: PADDLE_INADE_TEST_DEVICE=gpu (or gpu:N) runs the suite, the parity and fast-path tests
#: included, on a GPU; the default is the CPU. A GPU that is not there is an error, never a
#: silent run on the CPU. (Tests that pass device="cpu" to a pipeline stay on the CPU.)
TEST_DEVICE = os.environ.get("PADDLE_INADE_TEST_DEVICE", "cpu").lower()


def _check_test_device(device: str) -> None:
    if device == "cpu":
        return
    if not device.startswith("gpu"):
        raise pytest.UsageError(f"PADDLE_INADE_TEST_DEVICE={device!r}: expected cpu, gpu or gpu:N")
    if not paddle.is_compiled_with_cuda() or paddle.device.cuda.device_count() == 0:
        raise pytest.UsageError(f"PADDLE_INADE_TEST_DEVICE={device}: this Paddle has no CUDA GPU "
                                "(install paddlepaddle-gpu from Paddle's index, or unset the variable)")


_check_test_device(TEST_DEVICE)
paddle.set_device(TEST_DEVICE)


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
