"""The convolutions of one small-config training iteration, each timed alone in Paddle and in torch.

Records every ``F.conv2d`` call (input and weight shape, stride, padding, whether the input needs a
gradient) of one iteration of ``bench_train_step.py``'s ``small`` configuration, then times each
shape with random data: forward + backward where the input needs a gradient (or where the weight
does, which is every call of a training step), forward only for the no-grad regeneration of the D
step. Paddle in this process (after ``setup_cpu_process``), torch 2.x in its own (``--torch_python``,
default the first venv ``common.torch_python`` finds). The totals are the iteration's convolution
floor on each side; ``bench_train_step.py`` gives the whole iteration.

    python benchmarks/bench_step_convs.py [--threads 1] [--top 12]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--top", type=int, default=12, help="shapes listed (largest gap first)")
parser.add_argument("--torch_python", default=None)
parser.add_argument("--torch-side", dest="torch_side", help=argparse.SUPPRESS)
args = parser.parse_args()
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(args.threads)

import common  # noqa: E402  (after the thread variables)


def best_of(fn, repeats: int = 10) -> float:
    fn(), fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def record_shapes() -> list:
    """[(x shape, w shape, stride, padding, x needs grad, with grad), count] of one iteration."""
    import numpy as np
    import paddle.nn.functional as F

    from paddle_inade import INADEConfig, preprocess_input
    from paddle_inade.data.toy_scenes import render_scene
    from paddle_inade.engine import Pix2PixModel
    from paddle_inade.engine.optim import OptimSettings, make_optimizers
    from paddle_inade.engine.step import discriminator_step, generator_step
    import paddle_inade.nn.channel_bias as channel_bias

    cfg = INADEConfig.preset("toy", ngf=16, ndf=16, lambda_kld=0.05, prior_fraction=0.0, lambda_l1=0.0,
                             r1_gamma=0.0, padding_G="zeros", no_vgg_loss=True)
    model = Pix2PixModel(cfg)
    model.train()
    opt_g, opt_d = make_optimizers(model.generator_parameters(), model.netD.parameters(), OptimSettings())
    scenes = [render_scene(np.random.default_rng(i), 64) for i in range(8)]
    batch = {"label": np.stack([s[0] for s in scenes]).astype(np.int64)[:, None],
             "instance": np.stack([s[1] for s in scenes]).astype(np.int64)[:, None],
             "image": np.stack([s[2] for s in scenes]).transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1}
    counts: dict = {}
    plain = F.conv2d

    def recording(x, weight, bias=None, stride=1, padding=0, *rest, **kw):
        stride = stride if isinstance(stride, int) else int(stride[0])
        key = json.dumps([list(x.shape), list(weight.shape), stride, padding, not x.stop_gradient,
                          not (x.stop_gradient and weight.stop_gradient)])
        counts[key] = counts.get(key, 0) + 1
        return plain(x, weight, bias, stride, padding, *rest, **kw)

    channel_bias.F.conv2d = recording
    try:
        inputs = preprocess_input(batch, cfg)
        generator_step(model, opt_g, inputs)
        discriminator_step(model, opt_d, inputs)
    finally:
        channel_bias.F.conv2d = plain
    return [[json.loads(k), v] for k, v in counts.items()]


def time_paddle(shapes: list) -> list:
    import paddle
    import paddle.nn.functional as F
    out = []
    for (xs, ws, stride, pad, x_grad, grad), _ in shapes:
        x, w = paddle.randn(xs), paddle.randn(ws)
        x.stop_gradient, w.stop_gradient = not x_grad, not grad

        def run():
            y = F.conv2d(x, w, stride=stride, padding=pad)
            if grad:
                y.backward(paddle.ones_like(y))
        out.append(best_of(run))
    return out


def time_torch(shapes: list) -> list:
    import torch
    torch.set_num_threads(args.threads)
    out = []
    for (xs, ws, stride, pad, x_grad, grad), _ in shapes:
        x, w = torch.randn(xs, requires_grad=x_grad), torch.randn(ws, requires_grad=grad)

        def run():
            y = torch.nn.functional.conv2d(x, w, stride=stride, padding=pad)
            if grad:
                y.backward(torch.ones_like(y))
        out.append(best_of(run))
    return out


def main() -> None:
    from paddle_inade.device import setup_cpu_process
    setup_cpu_process()
    shapes = record_shapes()
    ours = time_paddle(shapes)
    python = args.torch_python or common.torch_python()
    theirs = None
    if python:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(shapes, fh)
        res = subprocess.run([python, __file__, "--threads", str(args.threads), "--torch-side", fh.name],
                             capture_output=True, text=True, check=True)
        theirs = json.loads(res.stdout.strip().splitlines()[-1])
        os.unlink(fh.name)
    print(f"# convolutions of one small-config training iteration, {args.threads} thread(s); {common.machine()}")
    rows = sorted(range(len(shapes)), key=lambda i: -(ours[i] - (theirs[i] if theirs else 0)) * shapes[i][1])
    print("| calls | input -> weight (stride, padding) | needs | Paddle ms | torch ms | ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for i in rows[:args.top]:
        (xs, ws, stride, pad, x_grad, grad), n = shapes[i]
        needs = "dx, dw" if x_grad else ("dw" if grad else "forward")
        t = f"{theirs[i] * 1e3:.2f} | {ours[i] / theirs[i]:.2f}x" if theirs else "- | -"
        print(f"| {n} | {xs} -> {ws} (s{stride}, p{pad}) | {needs} | {ours[i] * 1e3:.2f} | {t} |")
    total = sum(o * s[1] for o, s in zip(ours, shapes))
    line = f"total over {sum(s[1] for s in shapes)} calls: Paddle {total * 1e3:.0f} ms"
    if theirs:
        other = sum(t * s[1] for t, s in zip(theirs, shapes))
        line += f", torch {other * 1e3:.0f} ms ({total / other:.2f}x)"
    print(line)


if __name__ == "__main__":
    if args.torch_side:
        with open(args.torch_side, encoding="utf-8") as fh:
            print(json.dumps(time_torch(json.load(fh))))
    else:
        main()
    sys.exit(0)
