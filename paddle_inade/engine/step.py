"""One training iteration: the generator step, then ``D_steps_per_G`` discriminator steps."""
from __future__ import annotations

import paddle

from .model import Pix2PixModel


def _total(losses: dict) -> paddle.Tensor:
    return paddle.add_n([v.reshape([]) for v in losses.values()])


def generator_step(model: Pix2PixModel, opt_g, inputs: tuple, noise=None, noise_ins=None,
                   scaler=None):
    """Zero G's gradients, backpropagate the sum of the G loss terms, update G (+E).

    Args:
        inputs: (input_semantics, image, input_instances, sketch) from preprocess_input.
    Returns:
        (dict of loss terms, fake image).
    """
    opt_g.clear_grad()
    losses, fake = model.generator_losses(*inputs, noise=noise, noise_ins=noise_ins)
    _backward_and_step(_total(losses), opt_g, scaler)
    return losses, fake


def discriminator_step(model: Pix2PixModel, opt_d, inputs: tuple, noise=None, noise_ins=None,
                       scaler=None):
    """Zero D's gradients, backpropagate D_Fake + D_real, update D. Returns the loss dict."""
    opt_d.clear_grad()
    losses = model.discriminator_losses(*inputs, noise=noise, noise_ins=noise_ins)
    _backward_and_step(_total(losses), opt_d, scaler)
    return losses


def _backward_and_step(loss, optimizer, scaler) -> None:
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
