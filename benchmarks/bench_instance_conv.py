"""InstanceAwareConv2d: fast (conv2d + recomputed boundary windows) vs unfold vs plain conv2d.

Shape [2, 64, 128, 128] -> 128 channels, 3x3, padding 1, strides 1 and 2; the instance map
is a synthetic scene (12 instances: Voronoi regions and ellipses). Side by side in one run:
forward and forward+backward time of ``F.conv2d``, the fast path and the unfold version, and
the peak of memory Paddle allocates during one forward+backward (Paddle's host allocator
statistics, inputs excluded). Targets: fast forward+backward <= 1.5x conv2d's, peak memory
<= 2x conv2d's.

    python benchmarks/bench_instance_conv.py [--batch 2] [--channels 64] [--out 128] [--size 128]
"""
from __future__ import annotations

import argparse

import common
from paddle_inade.device import tune_malloc

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--batch", type=int, default=2)
parser.add_argument("--channels", type=int, default=64)
parser.add_argument("--out", type=int, default=128)
parser.add_argument("--size", type=int, default=128)
parser.add_argument("--instances", type=int, default=12)
parser.add_argument("--repeats", type=int, default=7)
parser.add_argument("--no-tune-malloc", action="store_true", help="keep glibc's default malloc settings")
args = parser.parse_args()
tuned = False if args.no_tune_malloc else tune_malloc()

import numpy as np
import paddle
import paddle.nn.functional as F

from paddle_inade.nn.fast_instance_conv import (
    fast_instance_conv2d,
    instance_conv_geometry,
    unfold_instance_conv2d,
)

_core = paddle.base.core


def peak_bytes(fn) -> int:
    """Peak bytes allocated by Paddle on the host while ``fn()`` runs, above what was live before."""
    before = _core.host_memory_stat_current_value("Allocated", 0)
    _core.host_memory_stat_reset_peak_value("Allocated", 0)
    fn()
    return _core.host_memory_stat_peak_value("Allocated", 0) - before


def main() -> None:
    paddle.seed(0)
    n, c, f, s = args.batch, args.channels, args.out, args.size
    _, inst = common.synthetic_scene(n, s, s, args.instances)
    ids = paddle.to_tensor(inst[:, None].astype("float32"))
    x = paddle.randn([n, c, s, s])
    x.stop_gradient = False
    weight = paddle.randn([f, c, 3, 3]) * (2.0 / (9 * c)) ** 0.5
    weight.stop_gradient = False
    bias = paddle.zeros([f])
    bias.stop_gradient = False
    print(f"# InstanceAwareConv2d [{n}, {c}, {s}, {s}] -> {f}, 3x3, padding 1, {args.instances}-instance "
          f"synthetic scene; this machine: {common.machine()}; malloc tuned: {tuned}")
    for stride in (1, 2):
        geometry = instance_conv_geometry(ids, 3, stride, 1)

        def fast(stride=stride):  # computes the geometry of the id map in every call
            return fast_instance_conv2d(x, ids, weight, bias, stride, 1)

        impls = {
            "conv2d": lambda stride=stride: F.conv2d(x, weight, bias, stride=stride, padding=1),
            "fast": fast,
            "unfold": lambda stride=stride: unfold_instance_conv2d(x, ids, weight, bias, stride, 1),
        }
        grad_out = paddle.randn(impls["conv2d"]().shape)
        with paddle.no_grad():
            fwd = common.time_interleaved(impls, repeats=args.repeats)
        both = {k: (lambda fn=fn, g=grad_out: fn().backward(g)) for k, fn in impls.items()}
        fb = common.time_interleaved(both, repeats=args.repeats)
        mem = {k: peak_bytes(fn) for k, fn in both.items()}
        # equality with the readable version (outputs and gradients)
        outs = {}
        for k in ("fast", "unfold"):
            out = impls[k]()
            grads = paddle.grad([out], [x, weight, bias], [grad_out])
            outs[k] = [out.numpy()] + [g.numpy() for g in grads]
        errs = [float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))
                for a, b in zip(outs["fast"], outs["unfold"])]
        print(f"stride {stride}: {100 * geometry.fraction:.1f}% of the output positions have a window "
              f"crossing an instance boundary")
        for k in impls:
            print(f"  {k:7s} forward {common.fmt_ms(fwd[k])} ({fwd[k] / fwd['conv2d']:.2f}x)   "
                  f"forward+backward {common.fmt_ms(fb[k])} ({fb[k] / fb['conv2d']:.2f}x)   "
                  f"peak memory {mem[k] / 2 ** 20:7.1f} MiB ({mem[k] / mem['conv2d']:.2f}x)")
        print(f"  targets: fast forward+backward <= 1.5x conv2d ({fb['fast'] / fb['conv2d']:.2f}x), "
              f"peak memory <= 2x ({mem['fast'] / mem['conv2d']:.2f}x)")
        print("  fast vs unfold, relative error of out / grad x / grad weight / grad bias: "
              + " / ".join(f"{e:.1e}" for e in errs))


if __name__ == "__main__":
    main()
