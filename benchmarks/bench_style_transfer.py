"""AdaIN style transfer of a 512x512 image: AdaINPipeline against the original pytorch-AdaIN.

One content and one style image of ``--size`` squared, alpha 1, batch 1, on the CPU with the
benchmark's threads (all cores; 2 here). Rows:

* ``AdaINPipeline.transfer``: uint8 images in, uint8 out, as the tool runs it (the target row),
  on its default CPU path (oneDNN, ``paddle_inade/adain/onednn.py``), after a first call that
  builds the programs (timed apart);
* the same with ``impl='reference'``: the eager networks;
* its networks alone: encoder(content), encoder(style), AdaIN, decoder on tensors;
* the encoder's and the decoder's convolutions alone (``F.conv2d`` on the shapes they see,
  back to back; reflection paddings, pools, ReLUs and upsampling excluded): the floor;
* the original's ``test.py`` computation (``vgg`` / ``decoder`` of its net.py, its
  ``adaptive_instance_normalization``, under ``torch.no_grad``) in a torch venv, same threads,
  a separate process, run twice around the Paddle timings (minimum taken).

Target: ``transfer`` <= 1.0x the original's time.

``--user-script`` times something else: a user's plain script (``adain_user_script.py``:
``AdaINPipeline.transfer`` only) without and with ``paddle_inade.setup_cpu_process()`` as its
first call, each run in a fresh process, with ``OMP_NUM_THREADS`` set to each of ``--threads``
in its environment and unset; the cases round-robin ``--rounds`` times, minimum taken.

    python benchmarks/bench_style_transfer.py [--size 512] [--repeats 3] [--no-torch] [--profile]
    python benchmarks/bench_style_transfer.py --user-script [--threads 2 1] [--rounds 2] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import common
from paddle_inade.device import setup_cpu_process

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--size", type=int, default=512)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--no-torch", action="store_true", help="skip the original PyTorch code")
parser.add_argument("--profile", action="store_true", help="time each layer type of one transfer")
parser.add_argument("--user-script", action="store_true",
                    help="a plain script's transfer without / with setup_cpu_process(), fresh processes")
parser.add_argument("--threads", type=int, nargs="+", default=[2, 1],
                    help="--user-script: OMP_NUM_THREADS values to set (plus a run with it unset)")
parser.add_argument("--rounds", type=int, default=2, help="--user-script: runs of every case")
args = parser.parse_args()
setup_cpu_process()  # what the tools do: threads, malloc thresholds, MKL's AVX2 path on AMD

import numpy as np
import paddle
import paddle.nn.functional as F
from paddle import nn

from paddle_inade.adain import AdaINPipeline, Decoder, VGGEncoder, adain
from paddle_inade.nn.onednn_program import choose_impl

ADAIN_SRC = os.environ.get("ADAIN_ORIG", "/work/src/AdaIN")


def conv_floor(pipe: AdaINPipeline, content: paddle.Tensor, style: paddle.Tensor):
    """A function running just the convolutions of one transfer on the shapes they see."""
    calls = common.record_inputs([l for l in pipe.encoder.sublayers() + pipe.decoder.sublayers()
                                  if isinstance(l, nn.Conv2D)], lambda: networks(pipe, content, style))
    inputs = [(layer, paddle.rand(shape)) for layer, shape in calls]

    def run():
        with paddle.no_grad():
            for layer, x in inputs:
                F.conv2d(x, layer.weight, layer.bias)
    return run


def networks(pipe: AdaINPipeline, content: paddle.Tensor, style: paddle.Tensor):
    with paddle.no_grad():
        return pipe.decoder(adain(pipe.encoder(content), pipe.encoder(style)))


def profile(pipe: AdaINPipeline, content: paddle.Tensor, style: paddle.Tensor) -> None:
    """Seconds per layer type in one transfer (each layer timed alone, synchronously)."""
    import time
    totals: dict[str, float] = {}
    starts = {}

    def pre(layer, inputs):
        starts[id(layer)] = time.perf_counter()

    def post(layer, inputs, output):
        name = type(layer).__name__
        totals[name] = totals.get(name, 0.0) + time.perf_counter() - starts.pop(id(layer))

    layers = [l for l in pipe.encoder.sublayers() + pipe.decoder.sublayers()]
    hooks = [h for l in layers for h in (l.register_forward_pre_hook(pre), l.register_forward_post_hook(post))]
    networks(pipe, content, style)
    totals.clear()
    t0 = time.perf_counter()
    networks(pipe, content, style)
    total = time.perf_counter() - t0
    for h in hooks:
        h.remove()
    print("profile of one transfer (networks):")
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {name:10s} {common.fmt_ms(seconds)}  {seconds / total:5.1%}")
    print(f"  rest       {common.fmt_ms(total - sum(totals.values()))}")


def torch_time(python: str) -> dict:
    cmd = [python, str(Path(__file__).with_name("torch_adain.py")), "--src", ADAIN_SRC,
           "--size", str(args.size), "--repeats", str(args.repeats)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ), check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1:])
    return json.loads(result.stdout.strip().splitlines()[-1])


#: What the user-script runs must not inherit from this process (common / setup_cpu_process set them).
PROCESS_SETUP_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "MKL_DEBUG_CPU_TYPE", "PADDLE_INADE_MALLOC",
                      "PADDLE_INADE_MKL", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def user_script_time(threads: int | None, setup: bool) -> dict:
    """One fresh run of adain_user_script.py; ``threads`` None leaves OMP_NUM_THREADS unset."""
    env = {k: v for k, v in os.environ.items() if k not in PROCESS_SETUP_VARS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(common.ROOT), os.environ.get("PYTHONPATH")]))
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    cmd = [sys.executable, str(Path(__file__).with_name("adain_user_script.py")), "--size", str(args.size),
           "--repeats", str(args.repeats)] + (["--setup"] if setup else [])
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def user_script_table() -> None:
    """The --user-script comparison: best of ``--rounds`` fresh runs per case, round-robin."""
    cases = [(t, setup) for t in [*args.threads, None] for setup in (False, True)]
    best: dict = {}
    for _ in range(args.rounds):
        for case in cases:
            run = user_script_time(*case)
            if case not in best or run["transfer"] < best[case]["transfer"]:
                best[case] = run
    print(f"{common.machine()}; AdaINPipeline.transfer {args.size}x{args.size}, a plain script, "
          f"best of {args.rounds} fresh processes x {args.repeats} transfers")
    print("| OMP_NUM_THREADS in the environment | without the call | with setup_cpu_process() | without / with |")
    print("| --- | --- | --- | --- |")
    for t in [*args.threads, None]:
        plain, tuned = best[(t, False)], best[(t, True)]
        print(f"| {t if t is not None else 'unset'} | {plain['transfer']:.2f} s ({plain['omp']} threads) | "
              f"{tuned['transfer']:.2f} s ({tuned['omp']} threads) | {plain['transfer'] / tuned['transfer']:.2f}x |")


def main() -> None:
    if args.user_script:
        user_script_table()
        return
    paddle.seed(0)
    pipe = AdaINPipeline(VGGEncoder(), Decoder())
    rng = np.random.default_rng(0)
    content_u8 = rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8)
    style_u8 = rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8)
    content = paddle.to_tensor(content_u8.transpose(2, 0, 1)[None].astype(np.float32) / 255)
    style = paddle.to_tensor(style_u8.transpose(2, 0, 1)[None].astype(np.float32) / 255)
    print(common.machine())
    python = None if args.no_torch else common.torch_python()
    torch_runs = []
    if python is not None:
        torch_runs.append(torch_time(python))
    t0 = time.perf_counter()
    pipe.transfer(content_u8, style_u8)  # the first call builds the oneDNN programs
    first = time.perf_counter() - t0
    eager = AdaINPipeline(pipe.encoder, pipe.decoder, impl="reference")
    t = common.time_interleaved({
        "transfer": lambda: pipe.transfer(content_u8, style_u8),
        "eager": lambda: eager.transfer(content_u8, style_u8),
        "networks": lambda: networks(pipe, content, style),
        "floor": conv_floor(pipe, content, style)}, repeats=args.repeats)
    if python is not None:
        torch_runs.append(torch_time(python))
    size = f"{args.size}x{args.size}"
    print(f"AdaINPipeline.transfer {size}     {common.fmt_ms(t['transfer'])}   {t['transfer'] / t['floor']:.2f}x "
          f"eager conv floor (impl {choose_impl(pipe.impl, 'cpu')}; first call {common.fmt_ms(first)})")
    print(f"  impl='reference' (eager)     {common.fmt_ms(t['eager'])}   {t['eager'] / t['floor']:.2f}x conv floor")
    print(f"  networks on tensors          {common.fmt_ms(t['networks'])}   {t['networks'] / t['floor']:.2f}x conv floor")
    print(f"  convolutions alone (floor)   {common.fmt_ms(t['floor'])}")
    if python is None:
        print("original pytorch-AdaIN: skipped (" + ("--no-torch" if args.no_torch else
              "no venv with torch and PIL at " + " or ".join(common.TORCH_VENVS)) + ")")
    else:
        best = min(r["transfer"] for r in torch_runs)
        print(f"original pytorch-AdaIN (torch {torch_runs[0]['torch']}, {torch_runs[0]['threads']} threads, "
              f"separate process) {common.fmt_ms(best)}")
        print(f"ratio transfer / original: {t['transfer'] / best:.2f}x (target <= 1.0x); "
              f"eager transfer / original: {t['eager'] / best:.2f}x; networks / original: {t['networks'] / best:.2f}x")
    if args.profile:
        profile(pipe, content, style)


if __name__ == "__main__":
    main()
