"""Instance-adaptive encoder forward (eval) vs its convolution floor.

ADE20K size: ngf 64, noise_nc 64, 256x256, batch 1, 12 instances. The floor runs
``F.conv2d`` with the encoder's own weights on inputs of the shapes its twelve
InstanceAwareConv2d layers see, back to back (a stricter floor runs the four heads as one
stacked convolution, as the fast encoder does); the encoder runs with ``impl='fast'`` (default)
and ``impl='unfold'`` (readable). Target: fast <= 1.3x the floor.

    python benchmarks/bench_encoder.py [--size 256] [--ngf 64] [--repeats 5] [--no-tune-malloc]
"""
from __future__ import annotations

import argparse

import common
from paddle_inade.device import tune_malloc

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--ngf", type=int, default=64)
parser.add_argument("--noise_nc", type=int, default=64)
parser.add_argument("--instances", type=int, default=12)
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--no-tune-malloc", action="store_true", help="keep glibc's default malloc settings")
args = parser.parse_args()
tuned = False if args.no_tune_malloc else tune_malloc()

import paddle
import paddle.nn.functional as F

from paddle_inade.models import InstanceAdaptiveEncoder


def main() -> None:
    paddle.seed(0)
    enc = InstanceAdaptiveEncoder(args.ngf, args.noise_nc)
    enc.eval()
    _, inst = common.synthetic_scene(args.batch, args.size, args.size, args.instances)
    instances = F.one_hot(paddle.to_tensor(inst), args.instances).transpose([0, 3, 1, 2]).astype("float32")
    image = paddle.rand([args.batch, 3, args.size, args.size]) * 2 - 1

    # The input shape of each of the twelve convolutions, for the conv floor (heads last).
    head_shape = [args.batch, args.ngf, args.size, args.size]
    with paddle.no_grad():
        calls = common.encoder_conv_inputs(enc, lambda: enc(image, instances), head_shape)
    convs = [layer for layer, _ in calls]
    heads = [getattr(enc, name) for name in common.ENCODER_HEADS]
    floor_inputs = [(layer, paddle.randn(shape)) for layer, shape in calls]
    stacked = (paddle.randn(head_shape), paddle.concat([h.weight for h in heads]),
               paddle.concat([h.bias for h in heads]))

    def floor():
        for layer, x in floor_inputs:
            F.conv2d(x, layer.weight, layer.bias, stride=layer.stride, padding=layer.padding)

    def floor_stacked():
        """The stricter floor: the eight U-Net convolutions and the heads as one stacked conv."""
        for layer, x in floor_inputs[:-len(heads)]:
            F.conv2d(x, layer.weight, layer.bias, stride=layer.stride, padding=layer.padding)
        F.conv2d(stacked[0], stacked[1], stacked[2], padding=1)

    def run(impl):
        def fn():
            for layer in convs:
                layer.impl = impl
            return enc(image, instances)
        return fn

    with paddle.no_grad():
        ref = [t.numpy() for t in run("unfold")()]
        fast = [t.numpy() for t in run("fast")()]
    import numpy as np
    err = max(float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12)) for a, b in zip(fast, ref))
    with paddle.no_grad():
        t = common.time_interleaved({"floor": floor, "stacked": floor_stacked, "fast": run("fast"),
                                     "unfold": run("unfold")}, repeats=args.repeats)
    print(f"# instance-adaptive encoder forward, eval, batch {args.batch}, {args.size}x{args.size}, "
          f"ngf {args.ngf}, {args.instances} instances; this machine: {common.machine()}; "
          f"malloc tuned: {tuned}")
    print(f"conv floor ({len(floor_inputs)} F.conv2d) {common.fmt_ms(t['floor'])}")
    print(f"stricter floor (8 + heads stacked) {common.fmt_ms(t['stacked'])}")
    print(f"encoder fast                  {common.fmt_ms(t['fast'])}   {t['fast'] / t['floor']:.2f}x floor  (target <= 1.3x); "
          f"{t['fast'] / t['stacked']:.2f}x the stricter floor")
    print(f"encoder unfold (readable)     {common.fmt_ms(t['unfold'])}   {t['unfold'] / t['floor']:.2f}x floor")
    print(f"max |fast - unfold| / max|unfold| over the four outputs: {err:.2e}")


if __name__ == "__main__":
    main()
