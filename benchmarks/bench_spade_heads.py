"""SPADE's gamma/beta heads stacked into one convolution (``paddle_inade.nn.spade.fused_heads``)
against the two convolutions one after the other (``separate_heads``).

Side by side in one run, the variants round-robin, minimum of the repeats:

* every head shape of a SPADE generator (the released ADE20K SPADE model: ngf 64, 151 label
  channels + edge map, 256x256, batch 1): hidden 128 -> norm_nc, forward without autograd and
  forward + backward;
* that generator's forward (``norm_mode spade``, eval, ``no_grad``, spectral norms kept, as a
  training model in eval mode), with the heads on their automatic path
  (``choose_heads``: stacked on maps of 64x64 and more) and all separate;
* one G step's forward + backward of the same generator (train mode, an L1 loss to a random
  target: the heads' gradients included).

    python benchmarks/bench_spade_heads.py [--size 256] [--ngf 64] [--threads 1] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--ngf", type=int, default=64)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(args.threads)

import common  # noqa: E402  (after the thread variables)
from paddle_inade.device import tune_malloc  # noqa: E402

tune_malloc()

import numpy as np  # noqa: E402
import paddle  # noqa: E402
import paddle.nn.functional as F  # noqa: E402

from paddle_inade.config import INADEConfig  # noqa: E402
from paddle_inade.models import build_generator  # noqa: E402
from paddle_inade.nn.spade import SPADE, fused_heads, separate_heads  # noqa: E402


def set_heads(net, heads: str) -> None:
    for layer in net.sublayers():
        if isinstance(layer, SPADE):
            layer.heads = heads


def rel_err(a, b) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def head_shapes(gen, seg) -> dict:
    """{(hidden, norm_nc, H, W): calls per forward} of the generator's SPADE heads."""
    shapes: dict = {}

    def record(layer, inputs, output):
        key = (layer.mlp_gamma.weight.shape[1], layer.mlp_gamma.weight.shape[0], *inputs[0].shape[2:])
        shapes[key] = shapes.get(key, 0) + 1

    hooks = [l.register_forward_post_hook(record) for l in gen.sublayers() if isinstance(l, SPADE)]
    with paddle.no_grad():
        gen(seg)
    for h in hooks:
        h.remove()
    return shapes


def shape_table(gen, seg) -> None:
    print("\n  head shapes (hidden -> norm_nc at H x W, calls per forward): separate / stacked, time per call")
    for (hidden, nc, h, w), calls in sorted(head_shapes(gen, seg).items(), key=lambda kv: -kv[0][2]):
        layer = SPADE(nc, 4, "instance", hidden=hidden)
        actv = paddle.randn([1, hidden, h, w])
        fns = {name: (lambda f=f: f(layer.mlp_gamma, layer.mlp_beta, actv))
               for name, f in (("separate", separate_heads), ("stacked", fused_heads))}
        with paddle.no_grad():
            err = max(rel_err(a.numpy(), b.numpy()) for a, b in zip(fns["separate"](), fns["stacked"]()))
            t = common.time_interleaved(fns, repeats=args.repeats)
        actv.stop_gradient = False
        both = {name: (lambda fn=fn: paddle.grad([sum(o.sum() for o in fn())], [actv])) for name, fn in fns.items()}
        tb = common.time_interleaved(both, repeats=args.repeats)
        print(f"  {hidden} -> {nc} at {h}x{w} x{calls}: no_grad {common.fmt_ms(t['separate'])} / "
              f"{common.fmt_ms(t['stacked'])} ({t['stacked'] / t['separate']:.2f}x); forward+backward "
              f"{common.fmt_ms(tb['separate'])} / {common.fmt_ms(tb['stacked'])} "
              f"({tb['stacked'] / tb['separate']:.2f}x); max rel err {err:.0e}")


def main() -> None:
    paddle.set_device("cpu")
    print(f"# SPADE generator (ADE20K options, norm_mode spade), ngf {args.ngf}, {args.size}x{args.size}, "
          f"batch 1; threads {args.threads}; this machine: {common.machine()}; load average "
          f"{os.getloadavg()[0]:.2f}")
    cfg = INADEConfig.preset("ade20k", norm_mode="spade", use_vae=False, ngf=args.ngf, crop_size=args.size)
    paddle.seed(0)
    gen = build_generator(cfg)
    labels = paddle.randint(0, cfg.label_channels, [1, args.size, args.size])
    seg = paddle.concat([F.one_hot(labels, cfg.label_channels).transpose([0, 3, 1, 2]).astype("float32"),
                         (paddle.rand([1, 1, args.size, args.size]) > 0.9).astype("float32")], axis=1)
    gen.eval()
    fns = {heads: (lambda heads=heads: (set_heads(gen, heads), gen(seg))[1]) for heads in ("auto", "separate")}
    with paddle.no_grad():
        err = rel_err(fns["auto"]().numpy(), fns["separate"]().numpy())
        t = common.time_interleaved(fns, repeats=args.repeats)
    print(f"\n  forward (eval, no_grad): auto {common.fmt_ms(t['auto'])}, separate {common.fmt_ms(t['separate'])}: "
          f"auto / separate {t['auto'] / t['separate']:.2f}x; output max rel err {err:.0e}")
    gen.train()
    target = paddle.rand([1, 3, args.size, args.size]) * 2 - 1

    def step(heads: str):
        set_heads(gen, heads)
        loss = (gen(seg) - target).abs().mean()
        loss.backward()
        gen.clear_gradients()

    tt = common.time_interleaved({h: (lambda h=h: step(h)) for h in ("auto", "separate")}, repeats=args.repeats)
    print(f"  forward + backward (train mode): auto {common.fmt_ms(tt['auto'])}, separate "
          f"{common.fmt_ms(tt['separate'])}: auto / separate {tt['auto'] / tt['separate']:.2f}x")
    shape_table(gen, seg)
    print(f"# load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
