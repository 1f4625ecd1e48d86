"""Parity with pytorch-AdaIN (tests/fixtures/adain, made by make_adain_fixtures.py running its
net.py, function.py, test.py and train.py's step) on seeded weights loaded from .pth files.

Tolerances: relative error <= 1e-4 on outputs and losses, <= 1e-3 on gradients and on
parameters (and their updates) after the Adam steps.
"""
from __future__ import annotations

import copy

import numpy as np
import paddle
import pytest

import adain_reference as ref
from conftest import assert_close
from paddle_inade.adain import AdaINPipeline, Net, calc_mean_std, coral, masked_adain
from paddle_inade.adain.function import nearest_resize_mask

OUT_TOL, GRAD_TOL = 1e-4, 1e-3


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    vgg, decoder = ref.write_weights(tmp_path_factory.mktemp("adain_weights"))
    return AdaINPipeline.from_pretrained(vgg=vgg, decoder=decoder, device="cpu")


def _image(u8: np.ndarray) -> paddle.Tensor:
    return paddle.to_tensor(u8.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)


def test_encoder_stages(pipe):
    io = ref.io()
    feats = pipe.encoder.encode_with_intermediate(_image(io["content"]))
    for name, feat in zip(("relu1_1", "relu2_1", "relu3_1", "relu4_1"), feats):
        assert_close(feat.numpy(), io[name], OUT_TOL, name)
    mean, std = calc_mean_std(feats[-1])
    assert_close(mean.numpy(), io["content_mean"], OUT_TOL, "calc_mean_std mean")
    assert_close(std.numpy(), io["content_std"], OUT_TOL, "calc_mean_std std")


def test_adain_and_decoder(pipe):
    io = ref.io()
    from paddle_inade.adain import adain
    out = adain(paddle.to_tensor(io["relu4_1"]), paddle.to_tensor(io["style_relu4_1"]))
    assert_close(out.numpy(), io["adain"], OUT_TOL, "adain")
    assert_close(pipe.decoder(paddle.to_tensor(io["adain"])).numpy(), io["decoded"], OUT_TOL, "decoder")


@pytest.mark.parametrize("impl", ["reference", "onednn"])
@pytest.mark.parametrize("case", ["plain", "alpha", "interp", "preserve", "masked"])
def test_transfer_as_test_py(pipe, case, impl):
    pipe = AdaINPipeline(pipe.encoder, pipe.decoder, impl=impl)
    io, cfg = ref.io(), ref.config()
    content, style = io["content"], io["style0"]
    kwargs = {"plain": {}, "alpha": {"alpha": cfg["alpha"]}, "preserve": {"preserve_color": True},
              "interp": {"interpolation_weights": cfg["interp_weights"], "alpha": cfg["interp_alpha"]},
              "masked": {"mask": io["mask"], "alpha": cfg["mask_alpha"]}}[case]
    if case == "interp":
        style = [io["interp_style0"], io["interp_style1"]]
    elif case == "masked":
        style = [io["style0"], io["style1"]]
    out = pipe.transfer(content, style, output="float", **kwargs)
    assert_close(out, io[f"out_{case}"][0], OUT_TOL, f"transfer ({case})")
    as_uint8 = pipe.transfer(content, style, **kwargs)
    expected = np.clip(io[f"out_{case}"][0].transpose(1, 2, 0) * 255 + 0.5, 0, 255).astype(np.uint8)
    assert np.abs(as_uint8.astype(int) - expected).max() <= 1  # save_image's rounding


def test_coral_and_mask_pieces(pipe):
    io = ref.io()
    content = io["content"].transpose(2, 0, 1).astype(np.float32) / 255
    style = io["style0"].transpose(2, 0, 1).astype(np.float32) / 255
    assert_close(coral(style, content), io["coral_style"], OUT_TOL, "coral")
    np.testing.assert_array_equal(nearest_resize_mask(io["mask"] > 0, *io["mask_feat"].shape), io["mask_feat"])
    target = masked_adain(paddle.to_tensor(io["relu4_1"]),
                          [paddle.to_tensor(io["style_relu4_1"]), pipe.encoder.encode(_image(io["style1"]))],
                          [io["mask_feat"], ~io["mask_feat"]])
    assert_close(target.numpy(), io["masked_target"], OUT_TOL, "masked AdaIN")


def test_losses_and_two_adam_steps(pipe):
    """train.py's loop: loss = content_weight * loss_c + style_weight * loss_s, Adam on the
    decoder, lr / (1 + lr_decay * i) at iteration i.

    Run in float64, as the fixture's steps were (config ``train_dtype``): Adam's first step is
    lr * sign(grad), so in float32 the elements whose gradient is below float32's rounding move
    by +-lr at random, and the loss after the step then depends on the CPU's summation order
    (2.9e-4 on an AVX-512 Xeon against 1e-4 allowed)."""
    io, cfg = ref.io(), ref.config()
    assert cfg["train_dtype"] == "float64"
    net = Net(copy.deepcopy(pipe.encoder), type(pipe.decoder)())
    net.decoder.set_state_dict({k: paddle.to_tensor(v) for k, v in ref.decoder_state().items()})
    net.to(dtype="float64")
    net.train()
    content = paddle.to_tensor(io["train_content"].transpose(0, 3, 1, 2).astype(np.float64) / 255)
    style = paddle.to_tensor(io["train_style"].transpose(0, 3, 1, 2).astype(np.float64) / 255)
    params = dict(net.decoder.named_parameters())
    initial = {k: p.numpy().reshape(-1) for k, p in params.items()}
    opt = paddle.optimizer.Adam(learning_rate=cfg["lr"], parameters=list(params.values()))
    for i in range(cfg["train_steps"]):
        opt.set_lr(cfg["lr"] / (1.0 + cfg["lr_decay"] * i))
        loss_c, loss_s = net(content, style)
        assert_close(float(loss_c), io[f"loss_c_{i}"], OUT_TOL, f"loss_c step {i}")
        assert_close(float(loss_s), io[f"loss_s_{i}"], OUT_TOL, f"loss_s step {i}")
        (cfg["content_weight"] * loss_c + cfg["style_weight"] * loss_s).backward()
        grads = {k: p.grad.numpy().reshape(-1) for k, p in params.items()}
        opt.step()
        opt.clear_grad()
        for k, p in params.items():
            idx = io[f"idx/{k}"]
            assert_close(grads[k][idx], io[f"grad{i}/{k}"], GRAD_TOL, f"grad {k} step {i}")
            assert_close(np.linalg.norm(grads[k]), io[f"gradnorm{i}/{k}"], GRAD_TOL, f"|grad| {k} step {i}")
            value = p.numpy().reshape(-1)
            assert_close(value[idx], io[f"param{i + 1}/{k}"], GRAD_TOL, f"{k} after step {i}")
            assert_close(value[idx] - initial[k][idx], io[f"param{i + 1}/{k}"] - initial[k][idx], GRAD_TOL,
                         f"{k} update after step {i}")
