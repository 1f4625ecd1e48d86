"""Data-parallel check: run one G step and one D step on this process's share of a fixed
batch (or on all of it with ``--single``) and save the gradients to OUT/rank<r>.npz.

Started by tests/test_distributed.py, twice under ``paddle.distributed.launch`` (gloo on
the CPU) and once alone.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import paddle  # noqa: E402
import paddle.distributed as dist  # noqa: E402

from paddle_inade import INADEConfig, preprocess_input  # noqa: E402
from paddle_inade.engine import OptimSettings, Pix2PixModel, make_optimizers  # noqa: E402
from paddle_inade.engine.step import discriminator_step, generator_step  # noqa: E402

CFG = dict(norm_mode="inade", use_vae=False, norm_G="spectralspadesyncbatch3x3", label_nc=3,
           crop_size=32, ngf=2, ndf=4, z_dim=8, noise_nc=2, no_vgg_loss=True, num_D=2,
           n_layers_D=3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--single", action="store_true")
    args = parser.parse_args()
    paddle.set_device("cpu")
    if not args.single:
        dist.init_parallel_env()
    rank, world = (0, 1) if args.single else (dist.get_rank(), dist.get_world_size())
    cfg = INADEConfig(**CFG)
    paddle.seed(0)
    model = Pix2PixModel(cfg)
    model.train()
    rng = np.random.RandomState(0)
    n = 4
    batch = {"label": np.kron(rng.randint(0, 3, (n, 1, 4, 4)), np.ones((1, 1, 8, 8), int)),
             "instance": np.kron(rng.randint(0, 3, (n, 1, 4, 4)), np.ones((1, 1, 8, 8), int)),
             "image": rng.uniform(-1, 1, (n, 3, 32, 32)).astype("float32")}
    batch["instance"][:, :, 0, 0] = 2  # every share has all three instance ids
    noise = rng.randn(n, 3, 2, 2).astype("float32")
    noise_ins = rng.randn(n, 8).astype("float32")
    share = slice(rank * n // world, (rank + 1) * n // world)
    batch = {k: v[share] for k, v in batch.items()}
    inputs = preprocess_input(batch, cfg)
    opt_g, opt_d = make_optimizers(model.generator_parameters(), model.netD.parameters(),
                                   OptimSettings())
    T = paddle.to_tensor
    generator_step(model, opt_g, inputs, T(noise[share]), T(noise_ins[share]))
    grads = {f"G.{k}": p.grad.numpy() for k, p in model.netG.named_parameters() if p.grad is not None}
    discriminator_step(model, opt_d, inputs, T(noise[share]), T(noise_ins[share]))
    grads.update({f"D.{k}": p.grad.numpy() for k, p in model.netD.named_parameters()})
    np.savez(os.path.join(args.out, f"rank{rank}.npz"), **grads)


if __name__ == "__main__":
    main()
