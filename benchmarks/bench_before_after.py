"""Before / after: the same measurements on a git revision and on the working tree.

The revision is exported with ``git archive`` into a temporary directory (the repository is
only read). Each tree runs in its own process, using only the public API that both have
(``build_generator``, ``build_encoder``, ``preprocess_input``): ADE20K-size generator and
instance-adaptive encoder forward (eval, batch 1, 256x256, 12 instances) against their conv
floors (the same shapes through ``F.conv2d``: the generator's 3x3 convolutions, the
encoder's twelve convolutions).

    python benchmarks/bench_before_after.py [--rev 70346af] [--repeats 3] [--no-tune-malloc]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import common

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--rev", default="70346af", help="the 'before' revision (default: before the fast paths)")
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--no-tune-malloc", action="store_true", help="keep glibc's default malloc settings")
parser.add_argument("--child", help=argparse.SUPPRESS)
args = parser.parse_args()


def child(root: str) -> None:
    sys.path.insert(0, root)  # before the working tree that common put first
    import paddle
    import paddle.nn.functional as F

    import paddle_inade
    from paddle_inade import (
        INADEConfig,
        build_encoder,
        build_generator,
        preprocess_input,
    )
    from paddle_inade.nn import SpectralConv2D

    assert paddle_inade.__file__.startswith(root), paddle_inade.__file__
    paddle.seed(0)
    cfg = INADEConfig.preset("ade20k", crop_size=args.size)
    G, E = build_generator(cfg), build_encoder(cfg)
    G.eval(), E.eval()
    labels, inst = common.synthetic_scene(1, args.size, args.size, 12, cfg.label_channels)
    semantics, _, instances, _ = preprocess_input({"label": labels[:, None], "instance": inst[:, None]}, cfg)
    image = paddle.rand([1, 3, args.size, args.size]) * 2 - 1
    noise, noise_ins = paddle.randn([1, 12, 2, cfg.noise_nc]), paddle.randn([1, cfg.z_dim])

    def floor_inputs(calls):
        out = []
        for lay, shape in calls:
            weight = lay.weight.detach()  # SpectralConv2D.weight: the effective weight
            stride = getattr(lay, "stride", None) or lay._stride
            padding = lay.padding if hasattr(lay, "padding") and isinstance(lay.padding, int) else lay._padding
            out.append((paddle.randn(shape), weight, lay.bias, stride, padding))
        return out

    def kernel(layer):
        w = layer.weight_orig if isinstance(layer, SpectralConv2D) else layer.weight
        return w.shape[-1]

    run_g = lambda: G(semantics, input_instances=instances, noise=noise, noise_ins=noise_ins)
    run_e = lambda: E(image, instances)
    with paddle.no_grad():
        g_convs = [l for l in G.sublayers() if isinstance(l, (SpectralConv2D, paddle.nn.Conv2D)) and kernel(l) == 3]
        g_floor = floor_inputs(common.record_inputs(g_convs, run_g))
        e_floor = floor_inputs(common.encoder_conv_inputs(E, run_e, [1, cfg.ngf, args.size, args.size]))

        def floor(calls):
            def fn():
                for x, w, b, s, p in calls:
                    F.conv2d(x, w, b, stride=s, padding=p)
            return fn

        t = common.time_interleaved({"G": run_g, "G_floor": floor(g_floor), "E": run_e,
                                     "E_floor": floor(e_floor)}, repeats=args.repeats)
    print(json.dumps(t))


def main() -> None:
    from paddle_inade.device import MMAP_THRESHOLD, TRIM_THRESHOLD  # the working tree's, parent only

    work_tree = str(common.ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", work_tree, "archive", args.rev], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        flags = ["--repeats", str(args.repeats), "--size", str(args.size)]
        # the tools' malloc settings, through glibc's variables: the old tree has no tune_malloc
        env = {} if args.no_tune_malloc else {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD),
                                              "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}
        res = {"before": common.json_subprocess(Path(__file__), flags + ["--child", tmp], env),
               "after": common.json_subprocess(Path(__file__), flags + ["--child", work_tree], env)}
    print(f"# before = {args.rev}, after = working tree; ADE20K preset, {args.size}x{args.size}, batch 1, "
          f"12 instances, eval; this machine: {common.machine()}; malloc tuned: {not args.no_tune_malloc}")
    for net, name in (("G", "generator"), ("E", "encoder")):
        b, a = res["before"], res["after"]
        print(f"{name:9s} before {common.fmt_ms(b[net])} ({b[net] / b[net + '_floor']:.2f}x its floor "
              f"{common.fmt_ms(b[net + '_floor'])})   after {common.fmt_ms(a[net])} "
              f"({a[net] / a[net + '_floor']:.2f}x its floor {common.fmt_ms(a[net + '_floor'])})   "
              f"speed-up {b[net] / a[net]:.2f}x")


if __name__ == "__main__":
    if args.child:
        child(args.child)
    else:
        main()
