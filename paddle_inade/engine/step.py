"""One training iteration: the generator step, then ``D_steps_per_G`` discriminator steps.

The same functions serve one process and ``paddle.distributed`` runs: with several
processes the gradients are averaged over processes before the optimiser step
(``average_gradients``), which is what ``paddle.DataParallel`` does, done explicitly
because the networks are called along several paths (generator step, the
discriminator step's no-grad regeneration) that a DataParallel wrapper does not see.
"""
from __future__ import annotations

import contextlib

import paddle

from .model import Pix2PixModel
from .r1 import r1_penalty


def _total(losses: dict) -> paddle.Tensor:
    return paddle.add_n([v.reshape([]).astype("float32") for v in losses.values()])


def average_gradients(parameters) -> None:
    """All-reduce and average the gradients over the processes of the default group."""
    world = paddle.distributed.get_world_size()
    if world <= 1:
        return
    with paddle.no_grad():
        for param in parameters:
            if param.grad is not None:
                grad = param.grad if param.grad.is_contiguous() else param.grad.contiguous()
                paddle.distributed.all_reduce(grad)  # needs a dense tensor
                paddle.assign(grad / world, output=param.grad)


def _autocast(scaler):
    return paddle.amp.auto_cast() if scaler is not None else contextlib.nullcontext()


def generator_step(model: Pix2PixModel, opt_g, inputs: tuple, noise=None, noise_ins=None,
                   scaler=None):
    """Zero G's gradients, backpropagate the sum of the G loss terms, update G (+E).

    Args:
        inputs: (input_semantics, image, input_instances, sketch) from preprocess_input.
        scaler: a ``paddle.amp.GradScaler`` for mixed precision (GPU), else None.
    Returns:
        (dict of loss terms, fake image).
    """
    opt_g.clear_grad()
    with _autocast(scaler):
        losses, fake = model.generator_losses(*inputs, noise=noise, noise_ins=noise_ins)
    _backward_and_step(_total(losses), opt_g, scaler, model.generator_parameters())
    return losses, fake


def discriminator_step(model: Pix2PixModel, opt_d, inputs: tuple, noise=None, noise_ins=None,
                       scaler=None, r1: bool = False):
    """Zero D's gradients, backpropagate D_Fake + D_real (+ R1 when ``r1`` and the model's
    ``r1_gamma`` is set), update D. Returns the loss dict."""
    opt_d.clear_grad()
    with _autocast(scaler):
        losses = model.discriminator_losses(*inputs, noise=noise, noise_ins=noise_ins)
    if r1 and model.cfg.r1_gamma > 0:  # in float32: its inner gradient is not loss-scaled
        losses["R1"] = r1_penalty(model.netD, inputs[0], inputs[1], model.cfg.r1_gamma, model.cfg.r1_every)
    _backward_and_step(_total(losses), opt_d, scaler, model.netD.parameters())
    return losses


def _backward_and_step(loss, optimizer, scaler, parameters) -> None:
    if scaler is None:
        loss.backward()
        average_gradients(parameters)
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        average_gradients(parameters)
        scaler.step(optimizer)
        scaler.update()
