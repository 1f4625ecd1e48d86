"""The R1 penalty (Mescheder et al., ICML 2018), in StyleGAN2's lazy form: a training aid.

On real images the discriminator's gradient with respect to the image is pushed towards 0:
``gamma / 2 * E_x ||d sum(D(x)) / d x||^2``, where ``sum(D(x))`` adds the last output map of
every scale. Applied every ``every`` discriminator steps and multiplied by ``every``, so the
average strength does not depend on how often it is applied. ``gamma`` 0 (the default) is the
original's training. Only the image channels of D's input are penalised (the label channels are
one-hot and not varied).
"""
from __future__ import annotations

import contextlib

import paddle
from paddle import nn

from ..models.norm_layers import InstanceNorm
from ..nn.spectral_norm import SpectralConv2D


@contextlib.contextmanager
def twice_differentiable(netD: nn.Layer):
    """``netD`` in a form Paddle can differentiate twice, restored afterwards.

    Spectral-norm convolutions skip their power iteration (its in-place update of ``u`` and
    ``v`` would invalidate the first backward's graph; the weight is the same normalised weight)
    and instance norms run as a composite (Paddle's fused kernel has no second derivative).
    """
    saved = []
    for layer in netD.sublayers(include_self=True):
        if isinstance(layer, SpectralConv2D):
            saved.append((layer, "training", layer.training))
            layer.training = False
        elif isinstance(layer, InstanceNorm):
            saved.append((layer, "precise", layer.precise))
            layer.precise = True
    try:
        yield netD
    finally:
        for layer, name, value in saved:
            setattr(layer, name, value)


def r1_penalty(netD: nn.Layer, semantics: paddle.Tensor, image: paddle.Tensor, gamma: float,
               every: int = 1) -> paddle.Tensor:
    """``gamma / 2 * every * mean_n ||grad_image sum D([semantics, image])_n||^2`` (a scalar).

    Args:
        netD: the multiscale discriminator: input [N, semantic_nc + 3, H, W] -> lists per scale.
        semantics: [N, semantic_nc, H, W]; image: [N, 3, H, W] real photos.
        gamma: the penalty's weight; every: how many D steps one application stands for.
    """
    real = paddle.concat([semantics, image], 1).detach()
    real.stop_gradient = False
    with twice_differentiable(netD):
        score = paddle.add_n([scale[-1].sum() for scale in netD(real)])
    grad, = paddle.grad(score, real, create_graph=True)
    per_sample = (grad[:, semantics.shape[1]:] ** 2).sum(axis=[1, 2, 3])
    return per_sample.mean() * (0.5 * gamma * every)
