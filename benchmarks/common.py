"""Shared helpers of the benchmark scripts: thread setup, timing, scenes, recording conv inputs.

Import this module before paddle: it pins OMP/MKL threads to the core count.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, str(CORES))
os.environ.setdefault("GLOG_minloglevel", "2")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np


def machine() -> str:
    """One line describing this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import paddle
    return f"{cpu}, {CORES} cores (OMP/MKL threads {os.environ['OMP_NUM_THREADS']}), paddle {paddle.__version__}"


def time_interleaved(fns: dict[str, Callable[[], object]], repeats: int = 7, warmup: int = 1,
                     min_seconds: float = 0.0) -> dict[str, float]:
    """Minimum wall time (seconds) of each function, the functions run round-robin.

    Round-robin with the minimum over repeats makes ratios robust to a busy machine.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    best = {name: float("inf") for name in fns}
    start = time.perf_counter()
    r = 0
    while r < repeats or time.perf_counter() - start < min_seconds:
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
        r += 1
    return best


def synthetic_scene(n: int, h: int, w: int, n_instances: int = 12, n_labels: int = 150, seed: int = 0):
    """Label and instance maps like a scene parsing image: stuff regions and object blobs.

    Returns (labels [n, h, w] int64 in [0, n_labels), instances [n, h, w] int64 in [0, n_instances)):
    eight Voronoi "stuff" regions spread over instances 0..3, then ellipses (objects) for the
    other instance ids, each region with its own random class.
    """
    rng = np.random.default_rng(seed)
    labels = np.zeros((n, h, w), np.int64)
    inst = np.zeros((n, h, w), np.int64)
    yy, xx = np.mgrid[0:h, 0:w]
    for b in range(n):
        cy, cx = rng.uniform(0, h, 8), rng.uniform(0, w, 8)
        region = ((yy[None] - cy[:, None, None]) ** 2 + (xx[None] - cx[:, None, None]) ** 2).argmin(0)
        labels[b] = rng.integers(0, n_labels, 8)[region]
        inst[b] = np.arange(8)[region] % min(4, n_instances)
        for i in range(4, n_instances):
            ey, ex = rng.uniform(0, h), rng.uniform(0, w)
            ry, rx = rng.uniform(0.05, 0.2) * h, rng.uniform(0.05, 0.2) * w
            m = ((yy - ey) / ry) ** 2 + ((xx - ex) / rx) ** 2 < 1
            inst[b][m] = i
            labels[b][m] = rng.integers(0, n_labels)
    return labels, inst


def json_subprocess(script: Path, args: Sequence[str], env: dict | None = None) -> dict:
    """Run ``script args`` in a fresh interpreter (own memory high-water mark, own allocator
    state; ``env`` added to this process's environment); it prints one JSON line (its last
    line) back."""
    out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


TORCH_VENVS = ("/work/torchvenv", "/work/tv_lead")


def torch_python():
    """The first venv's interpreter that can import what the original codes need (torch, PIL)."""
    for venv in TORCH_VENVS:
        python = Path(venv) / "bin" / "python"
        if python.exists() and subprocess.run([str(python), "-c", "import torch, PIL"],
                                              capture_output=True, check=False).returncode == 0:
            return str(python)
    return None


def max_rss_bytes() -> int:
    """Peak resident set size of this process so far (bytes)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def record_inputs(layers: Sequence, run: Callable[[], object]) -> list:
    """(layer, input shape) of every call to one of ``layers`` during ``run()``, in call order."""
    calls = []
    hooks = [layer.register_forward_pre_hook(
        lambda lay, inputs: calls.append((lay, list(inputs[0].shape)))) for layer in layers]
    try:
        run()
    finally:
        for hook in hooks:
            hook.remove()
    return calls


ENCODER_HEADS = ("scale_conv_mu", "scale_conv_var", "bias_conv_mu", "bias_conv_var")


def encoder_conv_inputs(enc, run: Callable[[], object], feature_shape: list) -> list:
    """(layer, input shape) of the instance encoder's twelve convolutions: the U-Net's eight as
    seen in ``run()``, and the four heads on the [N, ngf, H, W] features ``feature_shape`` (the
    fast encoder runs them as one stacked convolution, outside their own forward)."""
    from paddle_inade.nn import InstanceAwareConv2d  # the tree on sys.path (before/after children)

    calls = record_inputs([l for l in enc.sublayers() if isinstance(l, InstanceAwareConv2d)], run)
    heads = [getattr(enc, name) for name in ENCODER_HEADS]
    return calls + [(head, feature_shape) for head in heads if all(head is not lay for lay, _ in calls)]
