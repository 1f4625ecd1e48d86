"""The R1 penalty (Mescheder et al., ICML 2018), in StyleGAN2's lazy form: a training aid.

On real images the discriminator's gradient with respect to the image is pushed towards 0:
``gamma / 2 * E_x ||d sum(D(x)) / d x||^2``, where ``sum(D(x))`` adds the last output map of
every scale. Applied every ``every`` iterations (in the first D step of the iteration) and
multiplied by ``every``, so the average strength does not depend on how often it is applied. ``gamma`` 0 (the default) is the
original's training. Only the image channels of D's input are penalised (the label channels are
one-hot and not varied).
"""
from __future__ import annotations

import contextlib

import paddle
from paddle import nn

from ..nn.spectral_norm import SpectralConv2D


@contextlib.contextmanager
def without_power_iteration(netD: nn.Layer):
    """``netD`` with its spectral-norm convolutions' power iteration off, restored afterwards.

    The iteration updates ``u`` and ``v`` in place, changing tensors that the graph of the same
    step's D loss saved (Paddle then refuses its backward); the normalised weight is the same.
    """
    layers = [(layer, layer.training) for layer in netD.sublayers(include_self=True)
              if isinstance(layer, SpectralConv2D)]
    for layer, _ in layers:
        layer.training = False
    try:
        yield netD
    finally:
        for layer, training in layers:
            layer.training = training


def r1_penalty(netD: nn.Layer, semantics: paddle.Tensor, image: paddle.Tensor, gamma: float,
               every: int = 1) -> paddle.Tensor:
    """``gamma / 2 * every * mean_n ||grad_image sum D([semantics, image])_n||^2`` (a scalar).

    Args:
        netD: the multiscale discriminator: input [N, semantic_nc + 3, H, W] -> lists per scale.
        semantics: [N, semantic_nc, H, W]; image: [N, 3, H, W] real photos.
        gamma: the penalty's weight; every: how many iterations one application stands for.
    """
    real = paddle.concat([semantics, image], 1).detach()
    real.stop_gradient = False
    with without_power_iteration(netD):
        score = paddle.add_n([scale[-1].sum() for scale in netD(real)])
    grad, = paddle.grad(score, real, create_graph=True)
    per_sample = (grad[:, semantics.shape[1]:] ** 2).sum(axis=[1, 2, 3])
    return per_sample.mean() * (0.5 * gamma * every)
