"""Grouped convolutions (paddle_inade.nn.grouped_conv): the shifted-matmul path against Paddle's
grouped ``F.conv2d``, forward and gradients, and which path the layers choose."""
from __future__ import annotations

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from conftest import rel_err
from paddle_inade.nn import SpectralConv2D
from paddle_inade.nn.channel_bias import Conv2D, conv2d
from paddle_inade.nn.grouped_conv import (
    choose_impl,
    grouped_conv2d,
    reference_grouped_conv2d,
    shifted_matmul_conv2d,
)

TOL = 1e-5

# (batch, in channels, out channels, groups, kernel, padding, H, W)
SHAPES = [
    (1, 16, 8, 2, 3, 1, 9, 11),    # few groups, narrower outputs, odd sizes
    (2, 32, 64, 8, 3, 1, 8, 8),    # many groups, wider outputs, batch 2
    (3, 24, 24, 24, 3, 1, 6, 7),   # depthwise
    (2, 12, 6, 3, 3, 0, 7, 5),     # no padding
    (1, 8, 8, 2, 3, 2, 5, 6),      # padding 2 with a 3x3 kernel
    (2, 16, 16, 4, 1, 0, 6, 6),    # 1x1
    (1, 10, 20, 5, 5, 2, 9, 8),    # 5x5
    (2, 8, 4, 2, 2, 1, 6, 5),      # even kernel
]


def _tensors(batch, cin, cout, groups, k, h, w, seed=0):
    rng = np.random.default_rng(seed)
    x = paddle.to_tensor(rng.standard_normal((batch, cin, h, w)).astype("float32"), stop_gradient=False)
    weight = paddle.to_tensor(rng.standard_normal((cout, cin // groups, k, k)).astype("float32"),
                              stop_gradient=False)
    return x, weight


def _value_and_grads(fn, x, weight):
    out = fn(x, weight)
    grad_out = paddle.to_tensor(np.random.default_rng(1).standard_normal(out.shape).astype("float32"))
    gx, gw = paddle.grad([out], [x, weight], [grad_out])
    return [out.numpy(), gx.numpy(), gw.numpy()]


@pytest.mark.parametrize("batch,cin,cout,groups,k,padding,h,w", SHAPES)
def test_shifted_equals_reference_forward_and_gradients(batch, cin, cout, groups, k, padding, h, w):
    x, weight = _tensors(batch, cin, cout, groups, k, h, w)
    ours = _value_and_grads(lambda a, b: shifted_matmul_conv2d(a, b, padding, groups), x, weight)
    ref = _value_and_grads(lambda a, b: F.conv2d(a, b, padding=padding, groups=groups), x, weight)
    for what, a, b in zip(("output", "grad x", "grad weight"), ours, ref):
        assert a.shape == b.shape, what
        assert rel_err(a, b) <= TOL, f"{what}: {rel_err(a, b):.2e}"


@pytest.mark.parametrize("stride,padding", [(1, 1), (2, 1), (2, 0)])
@pytest.mark.parametrize("impl", ["auto", "reference"])
def test_grouped_conv2d_equals_conv2d_at_every_stride(impl, stride, padding):
    x, weight = _tensors(2, 16, 32, 4, 3, 10, 10)
    ours = _value_and_grads(lambda a, b: grouped_conv2d(a, b, stride, padding, 4, impl=impl), x, weight)
    ref = _value_and_grads(lambda a, b: F.conv2d(a, b, stride=stride, padding=padding, groups=4), x, weight)
    for a, b in zip(ours, ref):
        assert rel_err(a, b) <= TOL


def test_shifted_path_is_chosen_only_where_it_pays():
    weight = paddle.zeros([64, 64, 3, 3])  # 2 groups of 64 -> 32
    big, small = paddle.zeros([1, 128, 64, 64]), paddle.zeros([1, 128, 16, 16])
    with paddle.no_grad():
        assert choose_impl(big, weight, 1, 1, 2) == "shifted"
        assert choose_impl(big, weight, [1, 1], [1, 1], 2) == "shifted"  # nn.Conv2D's lists
        assert choose_impl(small, weight, 1, 1, 2) == "reference"  # small map
        assert choose_impl(big, weight, 2, 1, 2) == "reference"  # stride 2
        assert choose_impl(big, paddle.zeros([128, 64, 3, 3]), 1, 1, 2) == "reference"  # wide outputs
        assert choose_impl(big, paddle.zeros([64, 64, 1, 1]), 1, 0, 2) == "reference"  # 1x1
        square = paddle.zeros([128, 64, 3, 3])  # 2 groups of 64 -> 64
        assert choose_impl(paddle.zeros([1, 128, 128, 128]), square, 1, 1, 2) == "shifted"
        assert choose_impl(paddle.zeros([1, 128, 64, 64]), square, 1, 1, 2) == "reference"
    x = big.clone()
    x.stop_gradient = False
    assert choose_impl(x, weight, 1, 1, 2) == "reference"  # autograd: Paddle's kernel
    assert choose_impl(big, weight, 1, 1, 2) == "shifted"  # nothing needs a gradient


def test_grouped_conv2d_rejects_bad_impls():
    x, weight = _tensors(1, 8, 8, 2, 3, 6, 6)
    with pytest.raises(ValueError, match="impl"):
        grouped_conv2d(x, weight, 1, 1, 2, impl="fast")
    with pytest.raises(ValueError, match="stride 1"):
        grouped_conv2d(x, weight, 2, 1, 2, impl="shifted")


def test_ungrouped_conv2d_stays_paddles_kernel(monkeypatch):
    """groups == 1 never reaches grouped_conv2d: exactly F.conv2d plus the channel bias."""
    import paddle_inade.nn.channel_bias as cb

    def fail(*a, **k):
        raise AssertionError("groups == 1 reached grouped_conv2d")

    monkeypatch.setattr(cb, "grouped_conv2d", fail)
    x, weight = _tensors(2, 8, 6, 1, 3, 7, 7)
    bias = paddle.arange(6, dtype="float32")
    out = conv2d(x, weight, bias, padding=1)
    expected = F.conv2d(x, weight, None, padding=1) + bias.reshape([1, -1, 1, 1])
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("spectral", [False, True])
def test_layers_route_grouped_convs_and_keep_their_numbers(spectral):
    paddle.seed(0)
    layer = (SpectralConv2D(128, 64, 3, padding=1, groups=2) if spectral
             else Conv2D(128, 64, 3, padding=1, groups=2))
    layer.eval()
    x = paddle.randn([1, 128, 64, 64])
    weight = layer.weight
    with paddle.no_grad():
        assert choose_impl(x, weight, 1, 1, 2) == "shifted"
        fast = layer(x).numpy()
        layer.impl = "reference"
        ref = layer(x).numpy()
        expected = (reference_grouped_conv2d(x, weight, 1, 1, 2) + layer.bias.reshape([1, -1, 1, 1])).numpy()
    assert rel_err(fast, ref) <= TOL
    np.testing.assert_array_equal(ref, expected)
