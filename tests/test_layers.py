"""Properties of the INADE layers (independent of the fixtures)."""
from __future__ import annotations

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from paddle_inade import ILADE, InstanceAwareConv2d
from paddle_inade.models import inst_avg_pooling
from paddle_inade.nn import ParamFreeNorm, SpectralConv2D


def _normalize(x):
    return x / max(np.linalg.norm(x), 1e-12)


def test_spectral_norm_eval_uses_stored_vectors_without_iteration():
    paddle.seed(0)
    conv = SpectralConv2D(3, 5, 3, padding=1)
    conv.eval()
    u0, v0 = conv.weight_u.numpy().copy(), conv.weight_v.numpy().copy()
    x = paddle.randn([2, 3, 8, 8])
    out = conv(x)
    np.testing.assert_array_equal(conv.weight_u.numpy(), u0)
    np.testing.assert_array_equal(conv.weight_v.numpy(), v0)
    w = conv.weight_orig.numpy().reshape(5, -1)
    sigma = u0 @ (w @ v0)
    expected = F.conv2d(x, paddle.to_tensor(conv.weight_orig.numpy() / sigma), conv.bias, padding=1)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_spectral_norm_train_does_one_power_iteration_in_torch_order():
    paddle.seed(1)
    conv = SpectralConv2D(4, 6, 3, padding=1)
    conv.train()
    u0 = conv.weight_u.numpy().copy()
    w = conv.weight_orig.numpy().reshape(6, -1).astype(np.float64)
    x = paddle.randn([1, 4, 5, 5])
    conv(x).sum().backward()
    v1 = _normalize(w.T @ u0)
    u1 = _normalize(w @ v1)
    np.testing.assert_allclose(conv.weight_v.numpy(), v1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(conv.weight_u.numpy(), u1, rtol=1e-5, atol=1e-6)
    assert conv.weight_orig.grad is not None
    assert not np.allclose(u0, u1)


def test_remove_spectral_norm_keeps_outputs_state_and_rng():
    from paddle_inade import INADEConfig, build_generator, preprocess_input
    from paddle_inade.nn import remove_spectral_norm

    paddle.seed(4)
    cfg = INADEConfig.preset("toy", ngf=4, crop_size=32)
    G = build_generator(cfg)
    G.eval()
    n_spectral = sum(isinstance(l, SpectralConv2D) for l in G.sublayers())
    labels = np.random.RandomState(0).randint(0, cfg.label_nc, (2, 1, 32, 32))
    data = {"label": paddle.to_tensor(labels), "instance": paddle.to_tensor(labels % 3)}
    semantics, _, instances, _ = preprocess_input(data, cfg)
    noise = paddle.randn([2, instances.shape[1], 2, cfg.noise_nc])
    noise_ins = paddle.randn([2, cfg.z_dim])
    with paddle.no_grad():
        before = G(semantics, input_instances=instances, noise=noise, noise_ins=noise_ins).numpy()
    paddle.seed(5)
    assert remove_spectral_norm(G) == n_spectral > 0
    drawn = paddle.randn([4]).numpy()
    paddle.seed(5)
    np.testing.assert_array_equal(drawn, paddle.randn([4]).numpy())  # it drew no random numbers
    assert not any(isinstance(l, SpectralConv2D) for l in G.sublayers())
    assert not [k for k in G.state_dict() if k.endswith(("weight_orig", "weight_u", "weight_v"))]
    with paddle.no_grad():
        after = G(semantics, input_instances=instances, noise=noise, noise_ins=noise_ins).numpy()
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6)


def test_instance_aware_conv_equals_conv_on_one_instance():
    paddle.seed(2)
    layer = InstanceAwareConv2d(3, 4, 3, stride=2, padding=1)
    x = paddle.randn([2, 3, 16, 16])
    ids = paddle.zeros([2, 1, 16, 16])
    expected = F.conv2d(x, layer.weight, layer.bias, stride=2, padding=1)
    np.testing.assert_allclose(layer(x, ids).numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_instance_aware_conv_ignores_other_instances():
    paddle.seed(3)
    layer = InstanceAwareConv2d(2, 3, 3, stride=1, padding=1)
    ids = np.zeros([1, 1, 8, 8], np.float32)
    ids[..., :, 4:] = 1
    x = paddle.randn([1, 2, 8, 8])
    x2 = x.numpy().copy()
    x2[..., :, 4:] = 100.0  # change only instance 1
    a = layer(x, paddle.to_tensor(ids)).numpy()
    b = layer(paddle.to_tensor(x2), paddle.to_tensor(ids)).numpy()
    np.testing.assert_allclose(a[..., :4], b[..., :4], rtol=1e-6, atol=1e-6)
    assert not np.allclose(a[..., 4:], b[..., 4:])


def test_ilade_is_a_lookup_for_one_hot_maps():
    paddle.seed(4)
    layer = ILADE(norm_nc=3, label_nc=4, noise_nc=2, param_free="instance")
    layer.bias.set_value(paddle.randn(layer.bias.shape))
    labels = np.random.RandomState(0).randint(0, 4, size=(1, 6, 6))
    inst = np.random.RandomState(1).randint(0, 3, size=(1, 6, 6))
    seg = F.one_hot(paddle.to_tensor(labels), 4).transpose([0, 3, 1, 2]).astype("float32")
    ins = F.one_hot(paddle.to_tensor(inst), 3).transpose([0, 3, 1, 2]).astype("float32")
    noise = paddle.randn([1, 3, 2, 2])
    scale, bias = layer.modulation(seg, ins, noise)
    fc = layer.fc_noise(noise).numpy()
    w, b = layer.weight.numpy(), layer.bias.numpy()
    for y, x in [(0, 0), (3, 2), (5, 5)]:
        l, i = labels[0, y, x], inst[0, y, x]
        np.testing.assert_allclose(scale.numpy()[0, :, y, x], w[l, :, 0] * fc[0, i, 0] + b[l, :, 0], rtol=1e-5)
        np.testing.assert_allclose(bias.numpy()[0, :, y, x], w[l, :, 1] * fc[0, i, 1] + b[l, :, 1], rtol=1e-5)


def test_ilade_rejects_noise_of_wrong_shape():
    layer = ILADE(norm_nc=3, label_nc=4, noise_nc=2, param_free="instance")
    with pytest.raises(ValueError, match=r"\[1, 3, 2, 2\].*got \[1, 3, 2, 5\]"):
        layer(paddle.randn([1, 3, 4, 4]), paddle.zeros([1, 5, 4, 4]), paddle.zeros([1, 3, 4, 4]),
              paddle.randn([1, 3, 2, 5]))


def test_inst_avg_pooling_matches_loop_and_empty_instance_gives_zero():
    paddle.seed(5)
    x = paddle.randn([2, 3, 5, 5])
    ids = np.random.RandomState(0).randint(0, 3, size=(2, 5, 5))
    ids[1][ids[1] == 2] = 0  # instance 2 empty in the second sample
    inst = F.one_hot(paddle.to_tensor(ids), 4).transpose([0, 3, 1, 2]).astype("float32")
    out = inst_avg_pooling(x, inst).numpy()
    xn = x.numpy()
    for n in range(2):
        for k in range(4):
            mask = ids[n] == k
            expected = xn[n][:, mask].mean(axis=1) if mask.any() else np.zeros(3)
            np.testing.assert_allclose(out[n, k], expected, rtol=1e-5, atol=1e-6)


def test_batch_param_free_norm_updates_running_stats_like_torch():
    norm = ParamFreeNorm(2, "batch")
    x = paddle.randn([3, 2, 4, 4])
    norm.train()
    y = norm(x).numpy()
    xn = x.numpy().astype(np.float64)
    mean, var = xn.mean(axis=(0, 2, 3)), xn.var(axis=(0, 2, 3))
    np.testing.assert_allclose(y, (xn - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5),
                               rtol=1e-4, atol=1e-5)
    n = xn.size // 2
    np.testing.assert_allclose(norm.running_mean.numpy(), 0.1 * mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(norm.running_var.numpy(), 0.9 + 0.1 * var * n / (n - 1), rtol=1e-5)
    assert int(norm.num_batches_tracked) == 1
    norm.eval()
    np.testing.assert_allclose(norm(x).numpy(), (xn - 0.1 * mean[None, :, None, None])
                               / np.sqrt(norm.running_var.numpy()[None, :, None, None] + 1e-5), rtol=1e-4)


def test_batch_norm_running_stats_from_a_nonzero_start_and_a_second_step():
    """Momentum 0.1 from the statistics the layer holds, twice: computed from the batch mean and
    variance themselves (the kernel's own running outputs follow its backend's convention)."""
    norm = ParamFreeNorm(3, "batch")
    rm, rv = np.array([0.5, -1.0, 2.0]), np.array([2.0, 0.5, 1.5])
    norm.running_mean.set_value(rm.astype(np.float32))
    norm.running_var.set_value(rv.astype(np.float32))
    norm.train()
    for step in range(2):
        x = paddle.randn([2, 3, 5, 3]) * (step + 2) + step
        norm(x)
        xn = x.numpy().astype(np.float64)
        n = xn.size // 3
        rm = 0.9 * rm + 0.1 * xn.mean(axis=(0, 2, 3))
        rv = 0.9 * rv + 0.1 * xn.var(axis=(0, 2, 3)) * n / (n - 1)
        np.testing.assert_allclose(norm.running_mean.numpy(), rm, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(norm.running_var.numpy(), rv, rtol=1e-5)


@pytest.mark.parametrize("mode", ["hinge", "ls", "original", "w"])
def test_gan_loss_modes_against_formulas(mode):
    from paddle_inade.models import GANLoss
    pred = np.array([[-1.5, 0.2], [0.7, 2.0]], np.float32).reshape(1, 1, 2, 2)
    t = paddle.to_tensor(pred)
    loss = GANLoss(mode)
    sig = 1 / (1 + np.exp(-pred))
    expected = {
        "hinge": (np.mean(np.maximum(1 - pred, 0)), np.mean(np.maximum(1 + pred, 0)), -pred.mean()),
        "ls": (np.mean((pred - 1) ** 2), np.mean(pred ** 2), np.mean((pred - 1) ** 2)),
        "original": (-np.mean(np.log(sig)), -np.mean(np.log(1 - sig)), -np.mean(np.log(sig))),
        "w": (-pred.mean(), pred.mean(), -pred.mean()),
    }[mode]
    got = (float(loss(t, True)), float(loss(t, False)), float(loss(t, True, for_discriminator=False)))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    multiscale = [[paddle.zeros([1, 3, 4, 4]), t], [t * 2]]  # last tensor of each scale, averaged
    both = (float(loss(t, True)) + float(loss(t * 2, True))) / 2
    assert float(loss(multiscale, True)) == pytest.approx(both, rel=1e-6)


@pytest.mark.parametrize("src,dst", [((16, 12), (8, 6)), ((16, 12), (4, 3)), ((16, 12), (16, 12)),
                                     ((15, 12), (4, 6)), ((8, 8), (16, 16))])
def test_resize_nearest_is_interpolate(src, dst):
    """The strided slice SPADE resizes with where the size divides, and the fallback elsewhere."""
    from paddle_inade.nn.spade import resize_nearest
    x = paddle.to_tensor(np.random.RandomState(0).randn(2, 3, *src).astype(np.float32))
    np.testing.assert_array_equal(resize_nearest(x, dst).numpy(),
                                  F.interpolate(x, size=list(dst), mode="nearest").numpy())
