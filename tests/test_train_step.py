"""One TTUR training step against the original's (tests/fixtures README: "One training step").

The reference computed ``fake_train`` (a train-mode generator pass, which advances the
spectral-norm vectors by one power iteration) and put the BatchNorm statistics back
before running the step; ``reproduce_fixture_prelude`` repeats exactly that sequence.
"""
from __future__ import annotations

import numpy as np
import paddle
import pytest

from conftest import Reference, assert_close, rel_err, update_error
from paddle_inade.engine import OptimSettings, Pix2PixModel, make_optimizers
from paddle_inade.engine.step import discriminator_step, generator_step
from paddle_inade.weights import load_torch_weights
from reference_nets import tensors

LOSS_TOL, GRAD_TOL = 1e-4, 1e-3


def build_model(ref):
    model = Pix2PixModel(ref.config())
    load_torch_weights(model.netG, str(ref.pth("G")))
    load_torch_weights(model.netD, str(ref.pth("D")))
    if model.netE is not None:
        load_torch_weights(model.netE, str(ref.pth("E")))
    model.train()
    return model


def reproduce_fixture_prelude(model, ref, inputs, noise, noise_ins):
    """The reference's train-mode ``fake_train`` pass, with BatchNorm state restored after."""
    if "fake_train" not in ref.io.files:
        return
    bn_state = {k: v.numpy().copy() for k, v in model.netG.state_dict().items()
                if k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    with paddle.no_grad():
        fake, _ = model.generate_fake(*inputs, noise=noise, noise_ins=noise_ins)
    assert rel_err(fake.numpy(), ref["fake_train"]) < 1e-4
    own = model.netG.state_dict()
    for key, value in bn_state.items():
        own[key].set_value(value)


def _param(model, prefix: str, key: str):
    net = {"G": model.netG, "E": model.netE, "D": model.netD}[prefix]
    return dict(net.named_parameters())[key]


def _as_ref_layout(value: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Paddle Linear weights are [in, out]; torch's [out, in]."""
    return value.T if value.shape != ref.shape and value.T.shape == ref.shape else value


def _check_update(after: np.ndarray, before: np.ndarray, ref, key: str) -> None:
    """The Adam update (after - before) against the reference's at GRAD_TOL (conftest.update_error):
    one step moves a parameter by about lr, far below 1e-3 of the parameter, so comparing the
    parameters alone would pass a step that changed nothing."""
    ref_after, ref_grad = ref[key], ref["gradG_" + key[len("afterG_"):]]
    err = update_error(_as_ref_layout(after, ref_after), _as_ref_layout(before, ref_after), ref_after, ref_grad)
    assert err <= GRAD_TOL, f"{key} update: relative error {err:.3g} > {GRAD_TOL}"


@pytest.mark.parametrize("name", ["tiny_inade", "tiny_spade"])
def test_one_training_step(name):
    ref = Reference(name)
    model = build_model(ref)
    semantics, image, instances, noise, noise_ins = tensors(ref)
    inputs = (semantics, image, instances, None)
    reproduce_fixture_prelude(model, ref, inputs, noise, noise_ins)
    opt_g, opt_d = make_optimizers(model.generator_parameters(), model.netD.parameters(),
                                   OptimSettings(lr=0.0002, beta1=0.0, beta2=0.9))
    assert opt_g.get_lr() == pytest.approx(0.0001) and opt_d.get_lr() == pytest.approx(0.0004)
    before = {key: _param(model, "G", key[len("afterG_"):]).numpy().copy()
              for key in ref.io.files if key.startswith("afterG_")}

    g_losses, _ = generator_step(model, opt_g, inputs, noise, noise_ins)
    expected_g = sorted(k[len("loss_G_"):] for k in ref.io.files if k.startswith("loss_G_"))
    assert sorted(g_losses) == expected_g
    for key, value in g_losses.items():
        assert_close(float(value), float(ref[f"loss_G_{key}"]), LOSS_TOL, f"loss_G_{key}")
    checked = 0
    for key in ref.io.files:
        if key.startswith(("gradG_", "gradE_")):
            param = _param(model, key[4], key[6:])
            grad = param.grad.numpy()
            if np.linalg.norm(ref[key]) < 1e-6 * max(1.0, np.linalg.norm(param.numpy())):
                # a bias followed by a param-free norm has a zero gradient: both must be ~0
                assert np.abs(grad).max() < 1e-5, key
            else:
                assert_close(_as_ref_layout(grad, ref[key]), ref[key], GRAD_TOL, key)
            checked += 1
        elif key.startswith("afterG_"):
            _check_update(_param(model, "G", key[len("afterG_"):]).numpy(), before[key], ref, key)
            checked += 1
    assert checked >= 3

    d_losses = discriminator_step(model, opt_d, inputs, noise, noise_ins)
    for key, value in d_losses.items():
        assert_close(float(value), float(ref[f"loss_D_{key}"]), LOSS_TOL, f"loss_D_{key}")
    for key in ref.io.files:
        if key.startswith("gradD_"):
            assert_close(_param(model, "D", key[len("gradD_"):]).grad.numpy(), ref[key], GRAD_TOL, key)


def test_every_gradient_is_dense_after_a_step():
    """Collectives (``all_reduce`` in data-parallel runs) refuse strided tensors: a view op such
    as a transpose as the last op before a parameter would leave it a strided gradient."""
    ref = Reference("tiny_inade")
    model = build_model(ref)
    semantics, image, instances, noise, noise_ins = tensors(ref)
    inputs = (semantics, image, instances, None)
    opt_g, opt_d = make_optimizers(model.generator_parameters(), model.netD.parameters(),
                                   OptimSettings())
    generator_step(model, opt_g, inputs, noise, noise_ins)
    strided = [p.name for p in model.generator_parameters()
               if p.grad is not None and not p.grad.is_contiguous()]
    discriminator_step(model, opt_d, inputs, noise, noise_ins)
    strided += [p.name for p in model.netD.parameters()
                if p.grad is not None and not p.grad.is_contiguous()]
    assert not strided, f"strided gradients: {strided}"
