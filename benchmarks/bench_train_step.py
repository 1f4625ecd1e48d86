"""Time of one INADE training iteration (G step + D step), ours against the original PyTorch code.

Two configurations, each side in its own process, same CPU, same thread count:

* ``small``: the toy scenes' model with ngf 16, ndf 16 and the original's losses (``INADEConfig.preset("toy")``
  without its training aids: label_nc 6, 64x64, z_dim 32, noise_nc 8, ``spectralspadebatch3x3``,
  lambda_kld 0.05, zero padding, no R1), batch 8 of toy scenes, the instance-adaptive encoder on (``--use_vae``), no VGG loss;
* ``ade20k``: the ADE20K preset (ngf 64, ndf 64, label_nc 150 + dontcare, 256x256, noise_nc 64,
  ``spectralspadesyncbatch3x3``), batch 1, a synthetic scene with 12 instances, encoder on, no VGG.

An iteration is what ``paddle_inade.engine.step`` runs per training step (and the original's
``Pix2PixTrainer.run_generator_one_step`` + ``run_discriminator_one_step``): generator step
(G + E forward, D on fake and real, backward, Adam), then the discriminator step (fake regenerated
without gradient, D forward, backward, Adam). One warm-up iteration, then the minimum and median
of ``--iterations``. Ours runs as ``tools/train.py`` runs it (``setup_cpu_process``: tuned malloc,
MKL's AVX2 path on AMD). The original needs a torch venv (``/work/torchvenv``) and its sources
(``--src``, default ``$INADE_ORIG`` or ``/work/src/INADE``); without them only our times are printed.

    python benchmarks/bench_train_step.py [--config small|ade20k|both] [--threads 1] [--iterations 5]
    python benchmarks/bench_train_step.py --readable     # also: look-ups off, unfold convolutions
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import common

CONFIGS = {
    # the original's options (no training aids), whatever the toy preset sets
    "small": dict(preset="toy", overrides=dict(ngf=16, ndf=16, lambda_kld=0.05, prior_fraction=0.0, lambda_l1=0.0,
                                                r1_gamma=0.0, padding_G="zeros"),
                  batch=8, data="toy"),
    "ade20k": dict(preset="ade20k", overrides=dict(), batch=1, data="synthetic",
                   instances=12),
}

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--config", choices=[*CONFIGS, "both"], default="both")
parser.add_argument("--threads", type=int, default=1, help="OMP/MKL/torch threads of both sides")
parser.add_argument("--iterations", type=int, default=5)
parser.add_argument("--src", default=os.environ.get("INADE_ORIG", "/work/src/INADE"),
                    help="a checkout of the original (github.com/tzt101/INADE)")
parser.add_argument("--readable", action="store_true", help="also time the readable paths")
parser.add_argument("--child", choices=["fast", "readable"], help=argparse.SUPPRESS)
parser.add_argument("--child-config", help=argparse.SUPPRESS)
parser.add_argument("--data", help=argparse.SUPPRESS)
args = parser.parse_args()


def model_options(name: str) -> dict:
    from paddle_inade import INADEConfig
    spec = CONFIGS[name]
    return INADEConfig.preset(spec["preset"], **spec["overrides"], no_vgg_loss=True).to_dict()


def write_batch(name: str, path: str) -> None:
    """The batch both sides train on: ``label``, ``instance`` [N, 1, H, W] int64, ``image`` float32."""
    import numpy as np
    spec = CONFIGS[name]
    opts = model_options(name)
    size = opts["crop_size"]
    if spec["data"] == "toy":
        from paddle_inade.data.toy_scenes import render_scene
        scenes = [render_scene(np.random.default_rng(i), size) for i in range(spec["batch"])]
        label = np.stack([s[0] for s in scenes]).astype(np.int64)
        inst = np.stack([s[1] for s in scenes]).astype(np.int64)
        image = np.stack([s[2] for s in scenes]).transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1
    else:
        label, inst = common.synthetic_scene(spec["batch"], size, size, spec["instances"],
                                             opts["label_nc"] + int(opts["contain_dontcare_label"]))
        image = np.random.default_rng(0).uniform(-1, 1, (spec["batch"], 3, size, size)).astype(np.float32)
    np.savez(path, label=label[:, None], instance=inst[:, None], image=image)


def child() -> None:
    from paddle_inade.device import setup_cpu_process
    setup_cpu_process()
    import time

    import numpy as np
    import paddle

    from paddle_inade import INADEConfig, preprocess_input
    from paddle_inade.engine import Pix2PixModel
    from paddle_inade.engine.optim import OptimSettings, make_optimizers
    from paddle_inade.engine.step import discriminator_step, generator_step
    from paddle_inade.nn import InstanceAwareConv2d

    paddle.seed(0)
    cfg = INADEConfig.from_dict(model_options(args.child_config))
    model = Pix2PixModel(cfg)
    model.train()
    if args.child == "readable":
        model.netG.lookup = False
        for layer in model.netE.sublayers():
            if isinstance(layer, InstanceAwareConv2d):
                layer.impl = "unfold"
    opt_g, opt_d = make_optimizers(model.generator_parameters(), model.netD.parameters(), OptimSettings())
    batch = dict(np.load(args.data))

    def iteration():  # as Trainer.run_iteration: a fresh batch, G step, D step
        inputs = preprocess_input(batch, cfg)
        generator_step(model, opt_g, inputs)
        discriminator_step(model, opt_d, inputs)

    iteration()
    times = []
    for _ in range(args.iterations):
        t0 = time.perf_counter()
        iteration()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"seconds_min": min(times), "seconds_median": float(np.median(times))}))


def torch_python():
    python = "/work/torchvenv/bin/python"
    if not (os.path.exists(python) and os.path.isdir(args.src)):
        return None
    ok = subprocess.run([python, "-c", "import torch, PIL, dill"], capture_output=True).returncode == 0
    return python if ok else None


def run_torch(python: str, name: str, data: str, tmp: str, env: dict) -> dict:
    options = os.path.join(tmp, f"{name}.json")
    keep = ("label_nc", "contain_dontcare_label", "crop_size", "ngf", "ndf", "z_dim", "noise_nc", "norm_mode",
            "norm_G", "norm_E", "norm_D", "use_vae", "init_variance", "num_upsampling_layers", "aspect_ratio",
            "no_vgg_loss", "lambda_kld", "lambda_feat", "gan_mode", "num_D", "n_layers_D")
    with open(options, "w", encoding="utf-8") as fh:
        json.dump({k: v for k, v in model_options(name).items() if k in keep}, fh)
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_original_train.py")
    out = subprocess.run([python, script, "--src", args.src, "--data", data, "--options", options,
                          "--iterations", str(args.iterations)], capture_output=True, text=True,
                         env={**os.environ, **env}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    env = {"OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    python = torch_python()
    names = list(CONFIGS) if args.config == "both" else [args.config]
    print(f"# one training iteration (G step + D step, no VGG loss), {args.threads} thread(s) each side; "
          f"this machine: {common.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            data = os.path.join(tmp, f"{name}.npz")
            write_batch(name, data)
            impls = ["fast", "readable"] if args.readable else ["fast"]
            res = {impl: common.json_subprocess(__file__, ["--child", impl, "--child-config", name, "--data", data,
                                                           "--iterations", str(args.iterations)], env=env)
                   for impl in impls}
            spec = CONFIGS[name]
            print(f"{name:7s} (preset {spec['preset']} {spec['overrides']}, batch {spec['batch']}):")
            for impl, r in res.items():
                print(f"  ours ({impl:8s}) {r['seconds_min']:7.3f} s  (median {r['seconds_median']:.3f})")
            if python is None:
                print("  original: no torch venv or sources (see --src); skipped")
                continue
            t = run_torch(python, name, data, tmp, env)
            print(f"  original (torch {t['torch']}) {t['seconds_min']:7.3f} s  (median {t['seconds_median']:.3f})")
            print(f"  ours / original: {res['fast']['seconds_min'] / t['seconds_min']:.2f}x "
                  f"(medians {res['fast']['seconds_median'] / t['seconds_median']:.2f}x)")


if __name__ == "__main__":
    if args.child:
        child()
    else:
        main()
    sys.exit(0)
