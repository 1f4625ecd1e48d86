"""One TTUR training step of GroupDNet against SMIS's (its SmisModel and Pix2PixTrainer order).

The fixture starts from the saved state (its train-mode outputs were computed on copies), gives
the reparameterisation noise explicitly (eps_g for the generator step, eps_d for the
discriminator step's regeneration) and records losses (1e-4), gradients of G, E and D and the
updates of the parameters by Adam (1e-3 relative to the update).
"""
from __future__ import annotations

import numpy as np
import paddle
import pytest

from paddle_inade.engine import OptimSettings, make_optimizers
from paddle_inade.engine.step import discriminator_step, generator_step
from paddle_inade.weights import load_torch_weights
from conftest import update_error
from smis_reference import SMISReference, inputs, load_smis_model

LOSS_TOL, GRAD_TOL = 1e-4, 1e-3
ZERO_GRAD = 1e-5  # the other gradients' norms are 1e-2 .. 10


def _net(model, prefix: str):
    return {"G": model.netG, "E": model.netE, "D": model.netD}[prefix]


def _snapshot(model, *prefixes: str) -> dict:
    """{'G_<key>': flat float64 copy} of the parameters before a step."""
    return {f"{p}_{k}": param.numpy().astype(np.float64).reshape(-1)
            for p in prefixes for k, param in _net(model, p).named_parameters()}


def _update_error(ref, ours: np.ndarray, before: np.ndarray, ref_key: str) -> float:
    """conftest.update_error on the elements the fixture stores (``flat[::stride]``)."""
    stride = int(ref[f"{ref_key}__stride"]) if ref.has(f"{ref_key}__stride") else 1
    ours = np.ascontiguousarray(ours).reshape(-1)[::stride]
    grad_key = "grad" + ref_key[len("after"):]
    grad = ref[grad_key].reshape(-1) if ref.has(grad_key) else None
    return update_error(ours, before[::stride], ref[ref_key].reshape(-1), grad)


def _check_params(ref, model, prefix: str, kind: str, no_grad: set, lr: float = 0.0,
                  before: dict | None = None) -> int:
    """Compare every gradient (kind 'grad') or the update of every parameter by the step
    ('after', against ``before``) of one net."""
    net = _net(model, prefix)
    checked = 0
    for key, param in net.named_parameters():
        ref_key = f"{kind}{prefix}_{key}"
        if kind == "grad" and f"{prefix}_{key}" in no_grad:
            assert param.grad is None or float(param.grad.abs().max()) == 0.0, key
            continue
        value = param.grad if kind == "grad" else param
        assert value is not None, f"{ref_key}: no gradient"
        zero_grad = np.linalg.norm(ref[f"grad{prefix}_{key}"]) < ZERO_GRAD if f"grad{prefix}_{key}" in ref.io.files else False
        if kind == "grad" and zero_grad:
            # a bias whose every path ends in a BatchNorm: mathematically zero, both ~0
            assert float(paddle.linalg.norm(value)) < 10 * ZERO_GRAD, ref_key
        elif zero_grad:
            # Adam turns rounding noise into a step of about lr in either direction
            ours = np.ascontiguousarray(value.numpy()).reshape(-1)
            stride = int(ref[f"{ref_key}__stride"]) if ref.has(f"{ref_key}__stride") else 1
            assert np.abs(ours[::stride] - ref[ref_key].reshape(-1)).max() <= 2.5 * lr, ref_key
        elif kind == "grad":
            err = ref.error(value, ref_key)
            assert err <= GRAD_TOL, f"{ref_key}: relative error {err:.3g}"
        else:
            err = _update_error(ref, value.numpy(), before[f"{prefix}_{key}"], ref_key)
            assert err <= GRAD_TOL, f"{ref_key}: update's relative error {err:.3g}"
        checked += 1
    return checked


def test_one_training_step():
    ref = SMISReference("ade20k_step")
    model = load_smis_model(ref, train=True)
    semantics, image = inputs(ref, model.cfg)
    batch = (semantics, image, None, None)
    opt_g, opt_d = make_optimizers(model.generator_parameters(), model.netD.parameters(),
                                   OptimSettings(lr=0.0002, beta1=0.0, beta2=0.9))
    assert opt_g.get_lr() == pytest.approx(0.0001) and opt_d.get_lr() == pytest.approx(0.0004)
    no_grad = set(ref["no_grad"].tolist())
    assert no_grad and all(k.startswith("G_up_4.") for k in no_grad)  # ADE20K's unused block

    before = _snapshot(model, "G", "E")
    g_losses, _ = generator_step(model, opt_g, batch, noise=paddle.to_tensor(ref["eps_g"]))
    assert sorted(g_losses) == ["GAN", "GAN_Feat", "KLD"]
    for key, value in g_losses.items():
        assert ref.error(np.asarray(float(value)), f"loss_G_{key}") <= LOSS_TOL, key
    # gradients are kept by the optimiser step (it does not clear them)
    checked = _check_params(ref, model, "G", "grad", no_grad) + _check_params(ref, model, "E", "grad", no_grad)
    checked += (_check_params(ref, model, "G", "after", set(), lr=opt_g.get_lr(), before=before)
                + _check_params(ref, model, "E", "after", set(), lr=opt_g.get_lr(), before=before))

    # the discriminator step starts from G and E as SMIS's generator step left them: ours differ
    # where a gradient at rounding level gave Adam's lr * sign(grad) the other sign, and D's
    # gradients follow the regenerated fake (1 % on an AVX-512 Xeon from ours)
    for net, layer in (("G", model.netG), ("E", model.netE)):
        load_torch_weights(layer, str(ref.dir / f"{net}_after_step.pth"))
    before = _snapshot(model, "D")

    d_losses = discriminator_step(model, opt_d, batch, noise=paddle.to_tensor(ref["eps_d"]))
    for key, value in d_losses.items():
        assert ref.error(np.asarray(float(value)), f"loss_D_{key}") <= LOSS_TOL, key
    checked += (_check_params(ref, model, "D", "grad", set())
                + _check_params(ref, model, "D", "after", set(), lr=opt_d.get_lr(), before=before))
    assert checked > 200
