"""Shared helpers of the benchmark scripts: thread setup, allocator tuning, timing, scenes.

Import this module before paddle: it pins OMP/MKL threads to the core count.
"""
from __future__ import annotations

import ctypes
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


def tune_malloc() -> bool:
    """Keep freed memory in the process (glibc): no mmap/munmap and page faults per big tensor.

    Paddle's CPU allocator hands every tensor to malloc; with glibc's defaults each tensor
    above the mmap threshold is a fresh mapping whose pages fault in on first touch, which
    costs as much as the arithmetic of an element-wise op. Returns False if not glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_mmap_threshold, 1 << 30)) and bool(libc.mallopt(m_trim_threshold, (1 << 31) - 1))


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


def json_subprocess(script: Path, args: Sequence[str]) -> dict:
    """Run ``script args`` in a fresh interpreter (own memory high-water mark, own allocator
    state); it prints one JSON line (its last line) back."""
    out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                         env=dict(os.environ), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def max_rss_bytes() -> int:
    """Peak resident set size of this process so far (bytes)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


# ---------------------------------------------------------------------------------------------
# Proposed changes outside the files of the performance work, applied by monkeypatching in the
# benchmarks (``--proposed``) to measure what they would give. Not part of the library.

def propose_spectral_eval_cache() -> None:
    """SpectralConv2D in eval mode: reuse ``weight_orig / sigma`` while weight_orig, u and v are
    unchanged, instead of recomputing it (a pass over every weight) in every forward."""
    import paddle.nn.functional as F

    from paddle_inade.nn import spectral_norm as sn

    original = sn.SpectralConv2D.forward

    def forward(self, x):
        if self.training:
            return original(self, x)
        key = (id(self.weight_orig), self.weight_orig._inplace_version(),
               self.weight_u._inplace_version(), self.weight_v._inplace_version())
        cached = getattr(self, "_eval_weight", None)
        if cached is None or cached[0] != key:
            cached = (key, sn.spectral_weight(self.weight_orig, self.weight_u, self.weight_v, False))
            self._eval_weight = cached
        return F.conv2d(x, cached[1], self.bias, stride=self.stride, padding=self.padding)

    sn.SpectralConv2D.forward = forward


def propose_instance_norm() -> None:
    """``instance_norm`` with ``d * d`` and ``rsqrt`` instead of ``** 2`` and a division
    (Paddle's pow and broadcast divide are slow on the CPU); same formula otherwise."""
    import paddle

    from paddle_inade.models import instance_encoder
    from paddle_inade.nn import param_free_norm

    def instance_norm(x):
        mean = x.mean(axis=[2, 3], keepdim=True)
        d = x - mean
        return d * paddle.rsqrt((d * d).mean(axis=[2, 3], keepdim=True) + param_free_norm.EPS)

    param_free_norm.instance_norm = instance_norm
    instance_encoder.instance_norm = instance_norm


def propose_fused_encoder_heads() -> None:
    """InstanceAdaptiveEncoder: run its four 3x3 heads (same input, same id map) as one
    InstanceAwareConv2d with the four weights concatenated, and pool once; state unchanged."""
    import paddle

    from paddle_inade.models import instance_encoder as ie
    from paddle_inade.nn.fast_instance_conv import fast_instance_conv2d

    def forward(self, image, input_instances):
        ids = paddle.argmax(input_instances, axis=1, keepdim=True).astype(image.dtype)
        y = self.features(image, ids)
        heads = (self.scale_conv_mu, self.scale_conv_var, self.bias_conv_mu, self.bias_conv_var)
        weight = paddle.concat([h.weight for h in heads])
        bias = paddle.concat([h.bias for h in heads])
        out = fast_instance_conv2d(y, ids, weight, bias, 1, 1)
        return tuple(paddle.split(ie.inst_avg_pooling(out, input_instances), len(heads), axis=2))

    ie.InstanceAdaptiveEncoder.forward = forward
