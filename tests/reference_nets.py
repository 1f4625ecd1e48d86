"""Build the Paddle networks of a fixture folder and load the original's weights into them."""
from __future__ import annotations

import paddle

from paddle_inade import build_discriminator, build_encoder, build_generator
from paddle_inade.weights import load_torch_weights


def load_nets(ref, train: bool = False):
    """(cfg, G, E or None, D) with the fixture's .pth weights, in eval (or train) mode."""
    cfg = ref.config()
    G = build_generator(cfg, init=False)
    load_torch_weights(G, str(ref.pth("G")))
    E = build_encoder(cfg, init=False) if cfg.use_vae else None
    if E is not None:
        load_torch_weights(E, str(ref.pth("E")))
    D = build_discriminator(cfg, init=False)
    load_torch_weights(D, str(ref.pth("D")))
    for net in (G, E, D):
        if net is not None:
            net.train() if train else net.eval()
    return cfg, G, E, D


def tensors(ref):
    """(input_semantics, image, input_instances or None, noise or None, noise_ins) as tensors."""
    T = paddle.to_tensor
    inst = ref["input_instances"]
    noise = T(ref["noise"]) if "noise" in ref.io.files else None
    return (T(ref["input_semantics"]), T(ref["image"]), T(inst) if inst.size else None, noise,
            T(ref["noise_ins"]))
