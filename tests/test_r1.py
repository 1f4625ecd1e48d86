"""The R1 penalty (training aid ``--r1_gamma``): its value, its second derivative, its schedule."""
from __future__ import annotations

import numpy as np
import paddle
import pytest

from paddle_inade import INADEConfig
from paddle_inade.engine.options import TrainOptions
from paddle_inade.engine.r1 import r1_penalty
from paddle_inade.engine.trainer import Trainer
from paddle_inade.families import INADE
from paddle_inade.models import build_discriminator
from paddle_inade.nn.spectral_norm import SpectralConv2D
from test_trainer import TINY, BlockScenes, collate

R1_CFG = dict(TINY, num_D=2, n_layers_D=2)


def _inputs(cfg, n=2, seed=0):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, cfg.label_nc, (n, 4, 4)).repeat(8, 1).repeat(8, 2)
    semantics = np.eye(cfg.semantic_nc, dtype="float32")[labels].transpose(0, 3, 1, 2)
    image = rng.uniform(-1, 1, (n, 3, 32, 32)).astype("float32")
    return paddle.to_tensor(semantics), paddle.to_tensor(image)


def _score(netD, semantics, image):
    with paddle.no_grad():
        return float(paddle.add_n([scale[-1].sum() for scale in netD(paddle.concat([semantics, image], 1))]))


def _discriminator(cfg):
    paddle.seed(3)
    netD = build_discriminator(cfg)
    netD.train()
    for layer in netD.sublayers():  # leave the power iteration out of the finite differences
        if isinstance(layer, SpectralConv2D):
            layer.training = False
    return netD


def test_r1_is_half_gamma_times_the_squared_image_gradient():
    cfg = INADEConfig(**R1_CFG)
    netD = _discriminator(cfg)
    semantics, image = _inputs(cfg)
    penalty = float(r1_penalty(netD, semantics, image, gamma=3.0, every=2))
    real = paddle.concat([semantics, image], 1)
    real.stop_gradient = False
    score = paddle.add_n([scale[-1].sum() for scale in netD(real)])
    grad = paddle.grad(score, real)[0][:, cfg.semantic_nc:].numpy()
    direction = grad / np.linalg.norm(grad)
    eps = 1e-2
    slope = (_score(netD, semantics, image + eps * paddle.to_tensor(direction))
             - _score(netD, semantics, image - eps * paddle.to_tensor(direction))) / (2 * eps)
    assert slope == pytest.approx(np.linalg.norm(grad), rel=2e-2)  # the gradient is D's slope
    expected = 0.5 * 3.0 * 2 * (grad ** 2).sum(axis=(1, 2, 3)).mean()
    assert penalty == pytest.approx(expected, rel=1e-4)
    assert penalty == pytest.approx(0.5 * 3.0 * 2 * slope ** 2 / 2, rel=5e-2)


def test_r1_backpropagates_its_second_derivative_and_leaves_the_discriminator_as_it_was():
    cfg = INADEConfig(**R1_CFG)
    netD = _discriminator(cfg)
    for layer in netD.sublayers():
        if isinstance(layer, SpectralConv2D):
            layer.training = True  # as in training: r1_penalty must switch the iteration off itself
    semantics, image = _inputs(cfg, seed=1)
    buffers = {k: v.numpy().copy() for k, v in netD.state_dict().items() if "weight_u" in k or "weight_v" in k}
    r1_penalty(netD, semantics, image, gamma=1.0).backward()
    for key, value in buffers.items():
        np.testing.assert_array_equal(netD.state_dict()[key].numpy(), value, err_msg=key)
    assert all(layer.training for layer in netD.sublayers() if isinstance(layer, SpectralConv2D))
    weight = netD.discriminator_0.model1[0][0].weight_orig  # a spectral-norm conv
    grad = weight.grad.numpy()
    assert np.abs(grad).max() > 0
    direction = grad / np.linalg.norm(grad)
    eps = 3e-5 * float(paddle.linalg.norm(weight))  # relative: a spectral-norm weight's scale drops out
    values = []
    for sign in (1, -1):
        with paddle.no_grad():
            weight.set_value(weight + sign * eps * paddle.to_tensor(direction))
        values.append(float(r1_penalty(netD, semantics, image, gamma=1.0)))
        with paddle.no_grad():
            weight.set_value(weight - sign * eps * paddle.to_tensor(direction))
    assert (values[0] - values[1]) / (2 * eps) == pytest.approx(np.linalg.norm(grad), rel=2e-2)


def _r1_trainer(tmp_path, name, **model):
    opts = TrainOptions(name=name, checkpoints_dir=str(tmp_path), batchSize=2, niter=1, niter_decay=0,
                        print_freq=1, display_freq=100, save_latest_freq=1000, max_steps=4)
    return Trainer(INADEConfig(**TINY, **model), None, opts, BlockScenes(), collate_fn=collate, family=INADE)


def test_lazy_r1_runs_on_every_nth_global_step_and_is_off_by_default(tmp_path):
    paddle.seed(0)
    off = _r1_trainer(tmp_path, "off")
    off.train()
    assert not any("R1" in losses for losses in off.history)
    paddle.seed(0)
    on = _r1_trainer(tmp_path, "on", r1_gamma=10.0, r1_every=2)
    on.train()
    assert ["R1" in losses for losses in on.history] == [True, False, True, False]
    assert all(losses["R1"] > 0 for losses in on.history if "R1" in losses)
    # the first step's D losses come before any R1 update: equal; the later ones are not
    assert on.history[0]["D_real"] == pytest.approx(off.history[0]["D_real"], rel=1e-6)
    assert on.history[1]["D_real"] != pytest.approx(off.history[1]["D_real"], rel=1e-6)


def test_r1_options_are_checked():
    with pytest.raises(ValueError, match="--r1_gamma must be >= 0"):
        INADEConfig(**TINY, r1_gamma=-1)
    with pytest.raises(ValueError, match="--r1_every must be >= 1"):
        INADEConfig(**TINY, r1_every=0)
    with pytest.raises(ValueError, match="--r1_gamma 1.0 needs a discriminator without batch statistics"):
        INADEConfig(**TINY, r1_gamma=1.0, norm_D="spectralbatch")


def test_groupdnet_takes_the_r1_option_too(tmp_path):
    from paddle_inade.smis import build_discriminator as smis_discriminator
    from paddle_inade.smis.config import SMISConfig
    toy = SMISConfig.preset("toy").to_dict()
    with pytest.raises(ValueError, match="--r1_every must be >= 1"):
        SMISConfig.from_dict({**toy, "r1_every": 0}, "test")
    cfg = SMISConfig.from_dict({**toy, "ndf": 4, "num_D": 1, "n_layers_D": 2, "r1_gamma": 1.0}, "test")
    paddle.seed(0)
    netD = smis_discriminator(cfg)
    semantics = paddle.to_tensor(np.eye(cfg.input_nc, dtype="float32")[np.zeros((1,) + cfg.image_size, int)].transpose(0, 3, 1, 2))
    image = paddle.uniform([1, 3, *cfg.image_size], min=-1, max=1)
    penalty = r1_penalty(netD, semantics, image, cfg.r1_gamma, cfg.r1_every)
    penalty.backward()
    assert float(penalty) > 0 and any(p.grad is not None and float(p.grad.abs().max()) > 0 for p in netD.parameters())
