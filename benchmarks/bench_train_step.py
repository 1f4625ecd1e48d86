"""Time and peak memory of one INADE training iteration, fast paths on vs off.

ADE20K size (ngf 64, ndf 64, label_nc 150 + dontcare, 256x256, 12 instances, batch 1), the
instance-adaptive encoder on, VGG loss off (no weights needed): one generator step (G + E,
backward, Adam) then one discriminator step, as ``paddle_inade.engine.step`` runs them. Each
configuration runs in its own process: a warm-up iteration, then the measured one. Memory:
the peak of what Paddle's host allocator handed out during the measured iteration (tensors),
and the process's peak resident set (``ru_maxrss``, everything incl. weights and
optimiser state).

    python benchmarks/bench_train_step.py [--size 256] [--ngf 64] [--batch 1]
"""
from __future__ import annotations

import argparse
import json
import sys

import common
from paddle_inade.device import tune_malloc

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--ngf", type=int, default=64)
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--instances", type=int, default=12)
parser.add_argument("--no-tune-malloc", action="store_true", help="keep glibc's default malloc settings")
parser.add_argument("--child", choices=["fast", "readable"], help=argparse.SUPPRESS)
args = parser.parse_args()


def child() -> None:
    tuned = False if args.no_tune_malloc else tune_malloc()
    import time

    import paddle

    from paddle_inade import INADEConfig, preprocess_input
    from paddle_inade.engine import Pix2PixModel
    from paddle_inade.engine.step import discriminator_step, generator_step
    from paddle_inade.nn import InstanceAwareConv2d

    core = paddle.base.core
    paddle.seed(0)
    cfg = INADEConfig.preset("ade20k", ngf=args.ngf, ndf=args.ngf, crop_size=args.size, no_vgg_loss=True)
    model = Pix2PixModel(cfg)
    model.train()
    if args.child == "readable":
        model.netG.lookup = False
        for layer in model.netE.sublayers():
            if isinstance(layer, InstanceAwareConv2d):
                layer.impl = "unfold"
    opt_g = paddle.optimizer.Adam(0.0001, beta1=0.0, beta2=0.9, parameters=model.generator_parameters())
    opt_d = paddle.optimizer.Adam(0.0004, beta1=0.0, beta2=0.9, parameters=model.netD.parameters())
    labels, inst = common.synthetic_scene(args.batch, args.size, args.size, args.instances, cfg.label_channels)
    data = {"label": labels[:, None], "instance": inst[:, None],
            "image": paddle.rand([args.batch, 3, args.size, args.size]) * 2 - 1}
    inputs = preprocess_input(data, cfg)
    noise = paddle.randn([args.batch, inputs[2].shape[1], 2, cfg.noise_nc])
    noise_ins = paddle.randn([args.batch, cfg.z_dim])

    def step():
        generator_step(model, opt_g, inputs, noise=noise, noise_ins=noise_ins)
        discriminator_step(model, opt_d, inputs, noise=noise, noise_ins=noise_ins)

    step()  # warm-up: optimiser state exists from here on
    before = core.host_memory_stat_current_value("Allocated", 0)
    core.host_memory_stat_reset_peak_value("Allocated", 0)
    t0 = time.perf_counter()
    step()
    seconds = time.perf_counter() - t0
    peak = core.host_memory_stat_peak_value("Allocated", 0) - before
    print(json.dumps({"seconds": seconds, "peak_tensor_bytes": peak, "live_before_bytes": before,
                      "max_rss_bytes": common.max_rss_bytes(), "tuned": tuned}))


def main() -> None:
    flags = ["--size", str(args.size), "--ngf", str(args.ngf), "--batch", str(args.batch),
             "--instances", str(args.instances)] + (["--no-tune-malloc"] if args.no_tune_malloc else [])
    res = {impl: common.json_subprocess(__file__, flags + ["--child", impl]) for impl in ("fast", "readable")}
    print(f"# one training iteration (G step + D step), ADE20K preset, ngf {args.ngf}, {args.size}x{args.size}, "
          f"batch {args.batch}, {args.instances} instances, no VGG loss; this machine: {common.machine()}; "
          f"malloc tuned: {res['fast']['tuned']}")
    for impl, r in res.items():
        print(f"{impl:9s} {r['seconds']:7.2f} s   peak tensor memory during the iteration "
              f"{r['peak_tensor_bytes'] / 2 ** 20:8.1f} MiB (+ {r['live_before_bytes'] / 2 ** 20:.1f} MiB live "
              f"weights/optimiser state)   process max RSS {r['max_rss_bytes'] / 2 ** 20:8.1f} MiB")
    f, r = res["fast"], res["readable"]
    print(f"fast / readable: time {f['seconds'] / r['seconds']:.2f}x, peak tensor memory "
          f"{f['peak_tensor_bytes'] / r['peak_tensor_bytes']:.2f}x, max RSS {f['max_rss_bytes'] / r['max_rss_bytes']:.2f}x")


if __name__ == "__main__":
    if args.child:
        child()
    else:
        main()
    sys.exit(0)
