"""Training aids beyond the original: weight average (EMA), prior samples in the G step, L1, quality logs."""
from __future__ import annotations

import os

import numpy as np
import paddle
import pytest

from paddle_inade import INADEConfig, preprocess_input
from paddle_inade.engine.ema import WeightAverage, ema_beta
from paddle_inade.engine.model import Pix2PixModel
from test_trainer import TINY, make_trainer


def test_ema_beta_is_a_half_life_in_images_with_rampup():
    assert ema_beta(10, 10**6, half_life=10, rampup=None) == pytest.approx(0.5)
    assert ema_beta(5, 10**6, half_life=10, rampup=None) == pytest.approx(0.5 ** 0.5)
    # early on the half-life is at most rampup * images seen
    assert ema_beta(10, 100, half_life=1000, rampup=0.1) == pytest.approx(0.5)


def test_ema_update_averages_parameters_and_copies_buffers():
    paddle.seed(0)
    net = paddle.nn.Sequential(paddle.nn.Linear(3, 2), paddle.nn.BatchNorm1D(2))
    average = WeightAverage({"G": net}, half_life=4, rampup=None)
    start = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    with paddle.no_grad():
        for p in net.parameters():
            p.set_value(p + 1.0)
        net[1]._mean.set_value(paddle.full([2], 7.0))
    beta = average.update({"G": net}, batch=4, images_seen=100)
    assert beta == pytest.approx(0.5)
    state = average.nets["G"].state_dict()
    for name in ("0.weight", "0.bias", "1.weight", "1.bias"):
        np.testing.assert_allclose(state[name].numpy(), start[name] + 0.5, rtol=1e-6)
    np.testing.assert_array_equal(state["1._mean"].numpy(), [7.0, 7.0])
    assert all(p.stop_gradient for p in average.nets["G"].parameters())


def test_resume_with_weight_average_is_exact(tmp_path):
    aids = dict(ema_nimg=8, ema_rampup=0.5)
    straight = make_trainer(tmp_path, "straight", max_steps=4, **aids)
    straight.train()
    first = make_trainer(tmp_path, "resumed", max_steps=2, **aids)
    first.train()
    assert os.path.isfile(os.path.join(first.dir, "latest_net_G_ema.pdparams"))
    second = make_trainer(tmp_path, "resumed", max_steps=4, continue_train=True, **aids)
    second.resume("latest")
    second.train()
    for a, b in zip(straight.history, first.history + second.history):
        assert a == pytest.approx(b, rel=1e-6, abs=1e-7)
    for key in ("G", "E"):
        ours, theirs = straight.ema.state_dicts()[key], second.ema.state_dicts()[key]
        for name, value in ours.items():
            np.testing.assert_allclose(theirs[name].numpy(), value.numpy(), rtol=1e-6, atol=1e-7)
        live = straight.nets()[key].state_dict()
        assert any(not np.allclose(live[n].numpy(), ours[n].numpy()) for n in ours)  # averaged, not copied


def _batch(cfg, n=2, seed=0):
    rng = np.random.RandomState(seed)
    label = np.kron(rng.randint(0, cfg.label_nc, (n, 1, 4, 4)), np.ones((1, 1, 8, 8), int))
    inst = np.kron(rng.randint(0, 3, (n, 1, 4, 4)), np.ones((1, 1, 8, 8), int))
    image = rng.uniform(-1, 1, (n, 3, 32, 32)).astype("float32")
    return preprocess_input({"label": label, "instance": inst, "image": image}, cfg)


def test_prior_fraction_gives_the_last_samples_prior_styles():
    cfg = INADEConfig(**TINY, prior_fraction=0.5)
    paddle.seed(1)
    model = Pix2PixModel(cfg)
    model.eval()
    with paddle.no_grad():  # an encoder whose styles differ clearly from the prior's (mu 0, std 1)
        for p in model.netE.parameters():
            p.set_value(p * 3 + 0.5)
    semantics, image, instances, _ = _batch(cfg)
    noise = paddle.randn([2, instances.shape[1], 2, cfg.noise_nc])
    noise_ins = paddle.randn([2, cfg.z_dim])
    with paddle.no_grad():
        fake, _ = model.generate_fake(semantics, image, instances, noise=noise, noise_ins=noise_ins)
        z, _ = model.encode(image, instances)
        encoded = model.netG(semantics, z=z, input_instances=instances, noise=noise, noise_ins=noise_ins)
        prior = model.netG(semantics, z=None, input_instances=instances, noise=noise, noise_ins=noise_ins)
    np.testing.assert_allclose(fake[0].numpy(), encoded[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fake[1].numpy(), prior[1].numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(fake[1].numpy(), encoded[1].numpy(), atol=1e-4)


def test_reconstruction_terms_leave_out_prior_samples():
    paddle.seed(2)
    inputs = _batch(INADEConfig(**TINY))
    for fraction, expected in ((0.0, {"KLD", "GAN", "GAN_Feat", "L1"}), (0.5, {"KLD", "GAN", "GAN_Feat", "L1"}),
                               (1.0, {"KLD", "GAN"})):
        model = Pix2PixModel(INADEConfig(**TINY, prior_fraction=fraction, lambda_l1=3.0))
        losses, fake = model.generator_losses(*inputs)
        assert set(losses) == expected, fraction
        assert fake.shape[0] == 2
        if "L1" in losses:
            n_rec = 2 - model.prior_count(2)
            l1 = np.abs(fake[:n_rec].numpy() - inputs[1][:n_rec].numpy()).mean() * 3.0
            assert float(losses["L1"]) == pytest.approx(l1, rel=1e-5)


def test_options_of_the_aids_are_checked():
    with pytest.raises(ValueError, match="--prior_fraction must be in"):
        INADEConfig(**TINY, prior_fraction=1.5)
    with pytest.raises(ValueError, match="--prior_fraction 0.5 needs --norm_mode inade --use_vae.*add --prior_fraction 0"):
        INADEConfig(**{**TINY, "use_vae": False}, prior_fraction=0.5)
    with pytest.raises(ValueError, match="--lambda_l1 must be >= 0"):
        INADEConfig(**TINY, lambda_l1=-1)


def test_quality_is_logged_to_visualdl_during_training(tmp_path):
    from visualdl import LogReader
    trainer = make_trainer(tmp_path, max_steps=2, quality_freq=2, quality_samples=2, ema_nimg=4)
    scenes = trainer.dataset.dataset.items
    trainer.quality_layouts = [(s["label"][0], s["instance"][0],
                                ((s["image"].transpose(1, 2, 0) + 1) * 127.5).astype(np.uint8)) for s in scenes[:3]]
    trainer.train()
    logdir = os.path.join(trainer.dir, "vdl")
    reader = LogReader(file_path=os.path.join(logdir, os.listdir(logdir)[0]))
    scalars = set(reader.get_tags().get("scalar", []))
    assert {"quality/colour_distance", "quality/spread_ratio", "quality/restyle_ratio"} <= scalars
    assert [r.id for r in reader.get_data("scalar", "quality/colour_distance")] == [2]


def test_pipeline_takes_the_weight_average_of_a_run_unless_asked_not_to(tmp_path):
    from paddle_inade.pipeline import INADEPipeline
    trainer = make_trainer(tmp_path, max_steps=2, ema_nimg=4)
    trainer.train()
    averaged = trainer.ema.nets["G"].fc.weight.numpy()
    trained = trainer.model.netG.fc.weight.numpy()
    assert not np.allclose(averaged, trained)
    config = INADEConfig(**TINY)
    np.testing.assert_array_equal(INADEPipeline.from_checkpoint(trainer.dir, config=config, device="cpu")
                                  .netG.fc.weight.numpy(), averaged)
    np.testing.assert_array_equal(INADEPipeline.from_checkpoint(trainer.dir, config=config, device="cpu", ema=False)
                                  .netG.fc.weight.numpy(), trained)
