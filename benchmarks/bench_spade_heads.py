"""SPADE's stacked convolutions against their references: the gamma/beta heads as one convolution
(``paddle_inade.nn.spade.fused_heads``) against the two one after the other (``separate_heads``),
and a residual block's ``mlp_shared`` convolutions as one (``stacked_shared``) against each
norm's own (``separate_shared``).

Side by side in one run, the variants round-robin, minimum of the repeats:

* every head shape of a SPADE generator (the released ADE20K SPADE model: ngf 64, 151 label
  channels + edge map, 256x256, batch 1): hidden 128 -> norm_nc, forward without autograd and
  forward + backward;
* that generator's forward (``norm_mode spade``, eval, ``no_grad``, spectral norms kept, as a
  training model in eval mode): 'auto' (heads and shared convolutions on their automatic paths,
  ``choose_heads`` / ``choose_shared``: stacked on maps of 64x64 and more), 'heads only' (the
  shared convolutions separate) and 'reference' (both separate: the code before);
* each block's mlp_shared convolutions, separate and stacked, at the block's size;
* one G step's forward + backward of the same generator (train mode, an L1 loss to a random
  target: the heads' gradients included).

    python benchmarks/bench_spade_heads.py [--size 256] [--ngf 64] [--threads 1] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
from collections import Counter

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
from paddle_inade.models.resnet_block import SPADEResnetBlock  # noqa: E402
from paddle_inade.nn.spade import SPADE, fused_heads, separate_heads  # noqa: E402


#: variant -> (SPADE.heads, SPADEResnetBlock.shared)
VARIANTS = {"auto": ("auto", "auto"), "heads only": ("auto", "separate"), "reference": ("separate", "separate")}


def set_paths(net, variant: str) -> None:
    heads, shared = VARIANTS[variant]
    for layer in net.sublayers():
        if isinstance(layer, SPADE):
            layer.heads = heads
        if isinstance(layer, SPADEResnetBlock):
            layer.shared = shared


def rel_err(a, b) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def calls_by(gen, seg, kind, key) -> Counter:
    """{key(layer, input shape): calls} over the ``kind`` layers of one no-grad forward of ``gen``."""
    def run():
        with paddle.no_grad():
            gen(seg)
    layers = [layer for layer in gen.sublayers() if isinstance(layer, kind)]
    return Counter(key(layer, shape) for layer, shape in common.record_inputs(layers, run))


def head_shapes(gen, seg) -> Counter:
    """{(hidden, norm_nc, H, W): calls per forward} of the generator's SPADE heads."""
    return calls_by(gen, seg, SPADE, lambda layer, shape: (layer.mlp_gamma.weight.shape[1],
                                                           layer.mlp_gamma.weight.shape[0], *shape[2:]))


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


def shared_table(gen, seg) -> None:
    """Each block's mlp_shared convolutions (label channels -> hidden, times the block's norms) at
    its size: separate against stacked."""
    from paddle_inade.nn.spade import separate_shared, stacked_shared
    sizes = calls_by(gen, seg, SPADEResnetBlock, lambda block, shape: (
        sum(hasattr(block, n) for n in ("norm_s", "norm_0", "norm_1")), *shape[2:]))
    print(f"\n  mlp_shared convolutions of a block ({seg.shape[1]} label channels -> 128, per norm; norms x H x W, "
          "blocks per forward): separate / stacked, time per block")
    for (norms, h, w), calls in sorted(sizes.items(), key=lambda kv: -kv[0][1]):
        layers = [SPADE(8, seg.shape[1], "instance") for _ in range(norms)]
        segmap = paddle.randn([1, seg.shape[1], h, w])
        fns = {"separate": lambda: separate_shared(layers, segmap), "stacked": lambda: stacked_shared(layers, segmap)}
        with paddle.no_grad():
            err = max(rel_err(a.numpy(), b.numpy()) for a, b in zip(fns["separate"](), fns["stacked"]()))
            t = common.time_interleaved(fns, repeats=args.repeats)
        print(f"  {norms} x {h}x{w} x{calls}: {common.fmt_ms(t['separate'])} / {common.fmt_ms(t['stacked'])} "
              f"({t['stacked'] / t['separate']:.2f}x); max rel err {err:.0e}")


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
    fns = {v: (lambda v=v: (set_paths(gen, v), gen(seg))[1]) for v in VARIANTS}
    with paddle.no_grad():
        err = max(rel_err(fns[v]().numpy(), fns["reference"]().numpy()) for v in VARIANTS)
        t = common.time_interleaved(fns, repeats=args.repeats)
    print("\n  forward (eval, no_grad): " + ", ".join(f"{v} {common.fmt_ms(t[v])} ({t[v] / t['reference']:.2f}x)"
                                                   for v in VARIANTS) + f"; outputs max rel err {err:.0e}")
    gen.train()
    target = paddle.rand([1, 3, args.size, args.size]) * 2 - 1

    def step(variant: str):
        set_paths(gen, variant)
        loss = (gen(seg) - target).abs().mean()
        loss.backward()
        gen.clear_gradients()

    tt = common.time_interleaved({v: (lambda v=v: step(v)) for v in VARIANTS}, repeats=args.repeats)
    print("  forward + backward (train mode): " + ", ".join(
        f"{v} {common.fmt_ms(tt[v])} ({tt[v] / tt['reference']:.2f}x)" for v in VARIANTS))
    shape_table(gen, seg)
    shared_table(gen, seg)
    print(f"# load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
