"""GroupDNet (SMIS) generator and encoder forward, and each grouped convolution shape they run.

DeepFashion family (``--netG deepfashion``), 8 labels, batch 1, eval, ``no_grad``. Side by side
in one run, for each width in ``--ngf`` (default 32, and 160 = the released DeepFashion model):

* the generator forward (spectral norms kept, as a training model in eval mode) and the
  encoder forward on class crops, with the grouped convolutions on their automatic path
  (``paddle_inade.nn.grouped_conv.choose_impl``) and SPADE's gamma/beta heads on theirs
  (``paddle_inade.nn.spade.choose_heads``: 'auto'), with the heads always separate ('auto,
  separate heads'), and with both on the reference path ('reference': Paddle's grouped kernel,
  separate heads);
  the time the network spends in grouped and in ungrouped convolutions (layer hooks);
* every grouped convolution shape of the two networks (input shape, weight shape, groups,
  stride; how often it runs): Paddle's kernel against the shifted-matmul path, a loop of
  dense per-group convolutions and unfold + one batched matrix product, forward (``no_grad``)
  and with ``--backward`` forward + backward;
* GroupDNetPipeline's generator call on a folded copy: its CPU oneDNN program
  (``paddle_inade/nn/onednn_program.py``) against the eager generator;
* SMIS's own PyTorch code (``torch_smis.py``) on the same CPU and threads, when a torch
  interpreter and SMIS's sources are found (``--torch_python``, ``--smis_src``).

Threads: ``--threads`` (default 1) for both sides; ``--setup`` runs the tools' process set-up
(``paddle_inade.device.setup_cpu_process``: malloc and MKL tuning) first, as ``tools/*.py`` do.

    python benchmarks/bench_groupdnet.py [--ngf 32 160] [--size 256] [--threads 1] [--setup]
        [--repeats 3] [--shape-repeats 5] [--backward] [--no-shapes] [--no-torch]
"""
from __future__ import annotations

import argparse
import os

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--ngf", type=int, nargs="+", default=[32, 160])
parser.add_argument("--label_nc", type=int, default=8)
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--setup", action="store_true", help="run paddle_inade.device.setup_cpu_process first")
parser.add_argument("--repeats", type=int, default=3, help="network forwards timed (minimum)")
parser.add_argument("--shape-repeats", type=int, default=5, help="runs per convolution shape")
parser.add_argument("--backward", action="store_true", help="also time forward + backward per shape")
parser.add_argument("--no-shapes", action="store_true", help="skip the per-shape table")
parser.add_argument("--no-torch", action="store_true", help="skip SMIS's PyTorch code")
parser.add_argument("--torch_python", default=None, help="a python with torch (default: common.torch_python())")
parser.add_argument("--smis_src", default=os.environ.get("SMIS_SRC", "/work/src/SMIS"),
                    help="a checkout of github.com/Seanseattle/SMIS")
args = parser.parse_args()
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(args.threads)

import common  # noqa: E402  (after the thread variables)

if args.setup:
    from paddle_inade.device import setup_cpu_process
    setup_cpu_process()
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # set_cpu_threads took the core count
        os.environ[_var] = str(args.threads)

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import paddle  # noqa: E402
import paddle.nn.functional as F  # noqa: E402

from paddle_inade.models.init import init_weights  # noqa: E402
from paddle_inade.nn import SpectralConv2D  # noqa: E402
from paddle_inade.nn.channel_bias import Conv2D  # noqa: E402
from paddle_inade.nn.spade import SPADE  # noqa: E402
from paddle_inade.nn.grouped_conv import (  # noqa: E402
    choose_impl,
    reference_grouped_conv2d,
    shifted_matmul_conv2d,
)
from paddle_inade.smis.class_crops import encoder_input  # noqa: E402
from paddle_inade.smis.config import SMISConfig  # noqa: E402
from paddle_inade.smis.encoder import ConvEncoder  # noqa: E402
from paddle_inade.smis.generator import GroupDNetGenerator  # noqa: E402


# ----------------------------------------------------------------- alternatives (not in the library)
def per_group_loop(x, weight, stride, padding, groups):
    """One dense ``F.conv2d`` per group, outputs concatenated."""
    xs, ws = paddle.split(x, groups, axis=1), paddle.split(weight, groups, axis=0)
    return paddle.concat([F.conv2d(a, b, stride=stride, padding=padding) for a, b in zip(xs, ws)], axis=1)


def unfold_bmm(x, weight, stride, padding, groups):
    """One unfold of x, then a batched matrix product over the groups."""
    n, c, h, w = x.shape
    fout, cg, k, _ = weight.shape
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    cols = F.unfold(x, k, strides=stride, paddings=padding).reshape([n, groups, cg * k * k, ho * wo])
    out = paddle.matmul(weight.reshape([groups, fout // groups, cg * k * k]), cols)
    return out.reshape([n, fout, ho, wo])


def alternatives(stride):
    impls = {"paddle": reference_grouped_conv2d, "loop": per_group_loop, "unfold+bmm": unfold_bmm}
    if stride == 1:
        impls["shifted"] = lambda x, w, s, p, g: shifted_matmul_conv2d(x, w, p, g)
    return impls


# ----------------------------------------------------------------------------- networks
def build(ngf: int):
    cfg = SMISConfig.preset("deepfashion", ngf=ngf, crop_size=args.size, label_nc=args.label_nc)
    paddle.seed(0)
    gen, enc = GroupDNetGenerator(cfg), ConvEncoder(cfg.semantic_nc, cfg.encoder_nf, cfg.e_norm,
                                                    cfg.encoder_layers)
    init_weights(gen, cfg.init_type, cfg.init_variance), init_weights(enc, cfg.init_type, cfg.init_variance)
    gen.eval(), enc.eval()
    labels = paddle.randint(0, cfg.input_nc, [args.batch, args.size, args.size])
    seg = F.one_hot(labels, cfg.input_nc).transpose([0, 3, 1, 2]).astype("float32")
    z = paddle.randn(gen.code_shape(args.batch))
    image = paddle.rand([args.batch, 3, args.size, args.size]) * 2 - 1
    crops = encoder_input(cfg, seg, image)
    return cfg, gen, enc, (seg, z), crops


def convs_of(net):
    return [l for l in net.sublayers() if isinstance(l, (Conv2D, SpectralConv2D, paddle.nn.Conv2D))]


def groups_of(layer) -> int:
    return layer.groups if isinstance(layer, SpectralConv2D) else layer._groups


def conv_geometry(layer):
    """(stride, padding, groups, weight shape) of a conv layer."""
    if isinstance(layer, SpectralConv2D):
        return layer.stride, layer.padding, layer.groups, list(layer.weight_orig.shape)
    first = lambda v: v if isinstance(v, int) else v[0]  # noqa: E731  (nn.Conv2D keeps lists)
    return first(layer._stride), first(layer._padding), layer._groups, list(layer.weight.shape)


def set_impl(net, impl: str, heads: str | None = None) -> None:
    """Grouped convolutions on ``impl`` ('auto' / 'reference'), SPADE's heads on ``heads`` (default:
    'auto' with 'auto', else 'separate')."""
    for layer in convs_of(net):
        if isinstance(layer, (Conv2D, SpectralConv2D)):
            layer.impl = impl
    for layer in net.sublayers():
        if isinstance(layer, SPADE):
            layer.heads = heads or ("auto" if impl == "auto" else "separate")


def conv_seconds(net, run) -> dict:
    """Seconds spent in grouped / ungrouped conv layers (forward hooks) during ``run()``."""
    spent = {"grouped": 0.0, "ungrouped": 0.0}
    starts = {}

    def pre(layer, inputs):
        starts[id(layer)] = time.perf_counter()

    def post(layer, inputs, output):
        spent["grouped" if groups_of(layer) > 1 else "ungrouped"] += time.perf_counter() - starts[id(layer)]

    hooks = [h for l in convs_of(net) for h in (l.register_forward_pre_hook(pre), l.register_forward_post_hook(post))]
    try:
        run()
    finally:
        for h in hooks:
            h.remove()
    return spent


def rel_err(a, b) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def time_networks(ngf: int, gen, enc, g_in, crops) -> dict:
    fns = {}
    for impl in ("auto", "reference"):
        fns[f"G {impl}"] = lambda impl=impl: (set_impl(gen, impl), gen(*g_in, return_blocks=True)[1]["conv_img"])
        fns[f"E {impl}"] = lambda impl=impl: (set_impl(enc, impl), enc(crops))
    fns["G separate"] = lambda: (set_impl(gen, "auto", "separate"), gen(*g_in, return_blocks=True)[1]["conv_img"])
    with paddle.no_grad():
        outs = {k: fn()[1] for k, fn in fns.items()}
        t = common.time_interleaved(fns, repeats=args.repeats)
        set_impl(gen, "auto", "separate")  # the hooks see conv layers: the fused heads' conv is none
        split = {"G": conv_seconds(gen, lambda: gen(*g_in)), "E": conv_seconds(enc, lambda: enc(crops))}
        set_impl(gen, "auto")
    errs = {"G": rel_err(outs["G auto"].numpy(), outs["G reference"].numpy()),  # before tanh
            "G heads": rel_err(outs["G auto"].numpy(), outs["G separate"].numpy()),
            "E": max(rel_err(a.numpy(), b.numpy()) for a, b in zip(outs["E auto"], outs["E reference"]))}
    print(f"\n## ngf {ngf}: networks, forward (eval, no_grad), minimum of {args.repeats}")
    for net in ("G", "E"):
        auto, ref = t[f"{net} auto"], t[f"{net} reference"]
        print(f"  {'generator' if net == 'G' else 'encoder  '}  auto {common.fmt_ms(auto)}  reference "
              f"{common.fmt_ms(ref)}  auto/reference {auto / ref:.2f}x  (auto: grouped convs "
              f"{common.fmt_ms(split[net]['grouped'])}, ungrouped {common.fmt_ms(split[net]['ungrouped'])}); "
              f"auto vs reference output {errs[net]:.1e}")
    sep = t["G separate"]
    print(f"  generator  auto, separate heads {common.fmt_ms(sep)}  auto / auto with separate heads "
          f"{t['G auto'] / sep:.2f}x; output {errs['G heads']:.1e}")
    return t


class _First(paddle.nn.Layer):
    """A network's first output (the encoder's mu), for a one-output program."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)[0]


def time_pipeline(cfg, gen, enc, g_in, crops) -> dict:
    """GroupDNetPipeline's generator call on a folded copy of ``gen`` (what the loaders build):
    the oneDNN program (impl 'onednn'; its first call, which builds it, timed apart) against
    the eager generator (impl 'reference'), tanh included; and the encoder as such a program
    (``OneDNNProgram``, which the pipeline does not use: it is slower) against the eager one."""
    import copy
    from paddle_inade.nn import remove_spectral_norm
    from paddle_inade.device import cpu_threads
    from paddle_inade.nn.onednn_program import OneDNNProgram
    from paddle_inade.smis.pipeline import GroupDNetPipeline
    folded_g, folded_e = copy.deepcopy(gen), copy.deepcopy(enc)
    for net in (folded_g, folded_e):
        net.eval()
        remove_spectral_norm(net)
    seg, z, x = g_in[0], g_in[1].numpy(), crops
    fast, eager = (GroupDNetPipeline(cfg, folded_g, folded_e, impl=i) for i in ("onednn", "reference"))
    t0 = time.perf_counter()
    out = fast._run(seg, z)
    first = time.perf_counter() - t0
    ref = eager._run(seg, z)
    err, flipped = rel_err(out, ref), int((np.abs(out - ref) > 0.01).sum())
    program_e = OneDNNProgram(_First(folded_e), [x.shape], cpu_threads())
    encode = {"onednn": lambda: program_e(x.numpy()), "eager": lambda: folded_e(x)[0].numpy()}
    with paddle.no_grad():
        enc_err = rel_err(encode["onednn"](), encode["eager"]())
        t = common.time_interleaved({"P onednn": lambda: fast._run(seg, z), "P eager": lambda: eager._run(seg, z),
                                     "PE onednn": encode["onednn"], "PE eager": encode["eager"]},
                                    repeats=args.repeats)
    print(f"  pipeline (folded generator): oneDNN program {common.fmt_ms(t['P onednn'])} (first call "
          f"{common.fmt_ms(first)}: export + build), eager {common.fmt_ms(t['P eager'])}, "
          f"program / eager {t['P onednn'] / t['P eager']:.2f}x; output {err:.1e}, {flipped} of {out.size} values "
          "off by > 0.01 (random weights: tanh saturates, a value near 0 before it can flip; the parity "
          "is tests/test_smis_parity.py's)")
    print(f"  folded encoder as a program (not used): oneDNN {common.fmt_ms(t['PE onednn'])}, eager "
          f"{common.fmt_ms(t['PE eager'])}, program / eager {t['PE onednn'] / t['PE eager']:.2f}x; mu {enc_err:.1e}")
    return t


def shape_table(nets_and_runs) -> None:
    """Time every distinct grouped conv shape of the networks against the alternatives."""
    calls = []
    with paddle.no_grad():
        for net, run in nets_and_runs:
            layers = [l for l in convs_of(net) if groups_of(l) > 1]
            calls += common.record_inputs(layers, run)
    counts = {}
    for layer, shape in calls:
        stride, padding, groups, wshape = conv_geometry(layer)
        key = (tuple(shape), tuple(wshape), groups, stride, padding)
        counts[key] = counts.get(key, 0) + 1
    print("\n  grouped convolution shapes: input, weight, groups, stride, padding, calls per forward; "
          "time per call (ratio to Paddle's kernel); 'auto' = the library's choice")
    for (shape, wshape, groups, stride, padding), count in counts.items():
        x, w = paddle.randn(list(shape)), paddle.randn(list(wshape))
        impls = alternatives(stride)
        fns = {name: (lambda fn=fn: fn(x, w, stride, padding, groups)) for name, fn in impls.items()}
        with paddle.no_grad():
            ref = fns["paddle"]().numpy()
            err = max(rel_err(fn().numpy(), ref) for fn in fns.values())
            t = common.time_interleaved(fns, repeats=args.shape_repeats)
        line = "  ".join(f"{n} {t[n] * 1e3:7.2f} ms ({t[n] / t['paddle']:.2f}x)" for n in fns)
        print(f"  {list(shape)} {list(wshape)} g{groups} s{stride} p{padding} x{count}: {line}  "
              f"auto={choose_impl(x, w, stride, padding, groups)}  max rel err {err:.0e}")
        if args.backward:
            x.stop_gradient, w.stop_gradient = False, False
            grad = paddle.randn(list(ref.shape))
            both = {n: (lambda fn=fn: paddle.grad([fn()], [x, w], [grad])) for n, fn in fns.items()}
            tb = common.time_interleaved(both, repeats=args.shape_repeats)
            print("      forward+backward: " + "  ".join(
                f"{n} {tb[n] * 1e3:7.2f} ms ({tb[n] / tb['paddle']:.2f}x)" for n in both))


def smis_times(ngf: int) -> dict | None:
    python = args.torch_python or common.torch_python()
    if args.no_torch or python is None or not Path(args.smis_src).is_dir():
        return None
    script = Path(__file__).with_name("torch_smis.py")
    import json
    import subprocess
    out = subprocess.run([python, str(script), args.smis_src, "--ngf", str(ngf), "--label_nc",
                          str(args.label_nc), "--size", str(args.size), "--batch", str(args.batch),
                          "--repeats", str(args.repeats)], capture_output=True, text=True, check=True,
                         cwd=str(script.parent), env={**os.environ, "OMP_NUM_THREADS": str(args.threads)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    paddle.set_device("cpu")
    print(f"# GroupDNet deepfashion, {args.label_nc} labels, {args.size}x{args.size}, batch {args.batch}, "
          f"eval; threads {args.threads}; process set-up: {args.setup}; this machine: {common.machine()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    for ngf in args.ngf:
        cfg, gen, enc, g_in, crops = build(ngf)
        t = time_networks(ngf, gen, enc, g_in, crops)
        t.update(time_pipeline(cfg, gen, enc, g_in, crops))
        smis = smis_times(ngf)
        if smis is not None:
            print(f"  SMIS (PyTorch, {smis['threads']} thread(s)): generator {common.fmt_ms(smis['generator'])} "
                  f"(ours auto / SMIS {t['G auto'] / smis['generator']:.2f}x; pipeline's oneDNN program / SMIS "
                  f"{t['P onednn'] / smis['generator']:.2f}x), encoder "
                  f"{common.fmt_ms(smis['encoder'])} (ours auto / SMIS {t['E auto'] / smis['encoder']:.2f}x; "
                  f"as a program / SMIS {t['PE onednn'] / smis['encoder']:.2f}x)")
        if not args.no_shapes:
            set_impl(gen, "reference"), set_impl(enc, "reference")
            shape_table([(gen, lambda: gen(*g_in)), (enc, lambda: enc(crops))])
            set_impl(gen, "auto"), set_impl(enc, "auto")
    print(f"# load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
