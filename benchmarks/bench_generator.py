"""ADE20K-size INADE generator forward (eval) against its own 3x3-convolution floor.

ngf 64, label_nc 150 + dontcare, 256x256, 12 instances, batch 1, eval, the generator built
as ``build_generator(INADEConfig.preset("ade20k"))``. Side by side in one run:

* conv floor: ``F.conv2d`` with the generator's own (effective) weights and biases on inputs
  of the shapes its 3x3 convolutions see (conv_0 / conv_1 of every block and conv_img),
  back to back.
* inference: the generator as ``INADEPipeline.from_checkpoint`` runs it: ILADE table look-ups
  (the maps being one-hot) and the spectral norms folded into plain convolutions once
  (``remove_spectral_norm``). This is the row the target applies to.
* fast, spectral kept: the same with ``SpectralConv2D`` layers, which recompute
  ``weight_orig / sigma`` in every forward (a training model put in eval mode, as the original).
* readable: ``G.lookup = False`` (the original's matrix products in every ILADE), spectral kept.
* the spectral-norm weight computation of one eval forward alone (the 18 spectral convolutions).
* the original PyTorch code on the same CPU (if a torch venv exists, see ``torch_original.py``).

Target: inference <= 1.25x the floor.

    python benchmarks/bench_generator.py [--size 256] [--ngf 64] [--repeats 3] [--no-tune-malloc] [--no-torch]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path

import common
from paddle_inade.device import tune_malloc

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--ngf", type=int, default=64)
parser.add_argument("--instances", type=int, default=12)
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--no-tune-malloc", action="store_true", help="keep glibc's default malloc settings")
parser.add_argument("--no-torch", action="store_true", help="skip the original PyTorch code")
args = parser.parse_args()
tuned = False if args.no_tune_malloc else tune_malloc()

import numpy as np
import paddle
import paddle.nn.functional as F

from paddle_inade import INADEConfig, build_generator, preprocess_input
from paddle_inade.nn import SpectralConv2D, remove_spectral_norm
from paddle_inade.nn.spectral_norm import spectral_weight

INADE_SRC = "/work/inade_src"


def main() -> None:
    paddle.seed(0)
    cfg = INADEConfig.preset("ade20k", ngf=args.ngf, crop_size=args.size)
    G = build_generator(cfg)
    G.eval()
    G_inference = build_generator(cfg, init=False)
    G_inference.set_state_dict(G.state_dict())
    G_inference.eval()
    remove_spectral_norm(G_inference)
    labels, inst = common.synthetic_scene(args.batch, args.size, args.size, args.instances,
                                          cfg.label_channels)
    data = {"label": labels[:, None], "instance": inst[:, None]}
    semantics, _, instances, _ = preprocess_input(data, cfg)
    noise = paddle.randn([args.batch, instances.shape[1], 2, cfg.noise_nc])
    noise_ins = paddle.randn([args.batch, cfg.z_dim])

    # Shapes, (effective) weights and biases of the 3x3 convolutions, for the floor.
    convs = [l for l in G.sublayers() if isinstance(l, (SpectralConv2D, paddle.nn.Conv2D))
             and (l.weight_orig if isinstance(l, SpectralConv2D) else l.weight).shape[-1] == 3]
    with paddle.no_grad():
        calls = common.record_inputs(convs, lambda: G(semantics, input_instances=instances, noise=noise,
                                                      noise_ins=noise_ins))
    floor_inputs = [(paddle.randn(shape), layer.weight.detach(), layer.bias,
                     layer.padding if isinstance(layer, SpectralConv2D) else layer._padding)
                    for layer, shape in calls]
    spectral = [l for l in G.sublayers() if isinstance(l, SpectralConv2D)]

    def floor():
        for x, w, b, p in floor_inputs:
            F.conv2d(x, w, b, padding=p)

    def spectral_weights():
        for l in spectral:
            spectral_weight(l.weight_orig, l.weight_u, l.weight_v, False)

    def run(lookup, net=G):
        def fn():
            net.lookup = lookup
            return net(semantics, input_instances=instances, noise=noise, noise_ins=noise_ins,
                       return_blocks=True)[1]["conv_img"]
        return fn

    def rel_err(a, b):
        return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))

    with paddle.no_grad():
        fast_out, ref_out = run(True)().numpy(), run(False)().numpy()
        inference_out = run(True, G_inference)().numpy()
        t = common.time_interleaved({"floor": floor, "inference": run(True, G_inference), "fast": run(True),
                                     "readable": run(False), "spectral": spectral_weights},
                                    repeats=args.repeats)

    print(f"# INADE generator forward, eval, batch {args.batch}, {args.size}x{args.size}, ngf {args.ngf}, "
          f"label_nc {cfg.label_nc}+dontcare, {args.instances} instances; this machine: {common.machine()}; "
          f"malloc tuned: {tuned}")
    print(f"conv floor ({len(floor_inputs)} 3x3 F.conv2d)  {common.fmt_ms(t['floor'])}")
    print(f"generator inference (pipeline)   {common.fmt_ms(t['inference'])}   "
          f"{t['inference'] / t['floor']:.2f}x floor  (target <= 1.25x)")
    print(f"generator fast, spectral kept    {common.fmt_ms(t['fast'])}   {t['fast'] / t['floor']:.2f}x floor")
    print(f"generator readable (lookup off)  {common.fmt_ms(t['readable'])}   {t['readable'] / t['floor']:.2f}x floor")
    print(f"  spectral-norm weights alone    {common.fmt_ms(t['spectral'])}   "
          f"({t['spectral'] / t['floor']:.2f}x floor; part of the two rows above, not of inference)")
    print(f"relative difference of the conv_img output: fast vs readable {rel_err(fast_out, ref_out):.2e}, "
          f"inference vs readable {rel_err(inference_out, ref_out):.2e}")

    python = None if args.no_torch else common.torch_python()
    if python is None:
        why = "--no-torch" if args.no_torch else "no venv with torch and PIL at " + " or ".join(common.TORCH_VENVS)
        print(f"original PyTorch code: skipped ({why})")
        return
    script = Path(__file__).with_name("torch_original.py")
    cmd = [python, str(script), "--src", INADE_SRC, "--size", str(args.size), "--ngf", str(args.ngf),
           "--instances", str(args.instances), "--batch", str(args.batch), "--repeats", str(args.repeats)]
    env = dict(os.environ)
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        print("original PyTorch code: failed:", result.stderr.strip().splitlines()[-1:])
        return
    torch_t = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"original PyTorch generator (torch {torch_t['torch']}, same threads, separate process) "
          f"{common.fmt_ms(torch_t['generator'])}   inference is {t['inference'] / torch_t['generator']:.2f}x "
          f"its time, fast with spectral {t['fast'] / torch_t['generator']:.2f}x, "
          f"readable {t['readable'] / torch_t['generator']:.2f}x")


if __name__ == "__main__":
    main()
