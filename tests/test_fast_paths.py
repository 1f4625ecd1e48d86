"""Fast paths against their readable versions (same numbers, same gradients).

* InstanceAwareConv2d ``impl="fast"`` (conv2d + recomputed boundary windows) vs ``"unfold"``.
* ILADE table look-up (:class:`IndexMaps` of one-hot maps) vs its matrix products.
* The generator with look-ups on vs off, and its exact 2x upsampling.
* Paddle's fused batch / instance norm kernels vs the readable norms (and torch's running
  statistics), the row-wise channel bias vs the broadcast one.
"""
from __future__ import annotations

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from paddle_inade import INADEConfig, build_generator, preprocess_input
from paddle_inade.models import InstanceAdaptiveEncoder
from paddle_inade.models.generator import upsample2x
from paddle_inade.nn import ILADE, InstanceAwareConv2d
from paddle_inade.nn.fast_instance_conv import (
    fast_instance_conv2d,
    instance_conv_geometry,
    unfold_instance_conv2d,
)
from paddle_inade.nn.channel_bias import Conv2D, add_channel_bias, add_channel_bias_reference
from paddle_inade.nn.index_maps import IndexMaps, one_hot_index
from paddle_inade.nn.param_free_norm import (ParamFreeNorm, batch_norm_train_reference, instance_norm,
                                             instance_norm_reference, running_statistics_reference)

TOL = 1e-5


def rel(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def blobs(rng, n, h, w, k, cells=3):
    """[n, h, w] int maps made of ``cells`` x ``cells`` constant blocks (cut to h, w)."""
    small = rng.randint(0, k, (n, cells, cells))
    big = np.kron(small, np.ones((1, (h + cells - 1) // cells, (w + cells - 1) // cells), int))
    return big[:, :h, :w]


def one_hot(idx, k):
    return F.one_hot(paddle.to_tensor(idx), k).transpose([0, 3, 1, 2]).astype("float32")


# ---------------------------------------------------------------- InstanceAwareConv2d
ID_MAPS = {
    "random": lambda rng, n, h, w: rng.randint(0, 3, (n, h, w)),
    "blobs": lambda rng, n, h, w: blobs(rng, n, h, w, 4),
    "one_instance": lambda rng, n, h, w: np.full((n, h, w), 2),
    "one_sample_uniform": lambda rng, n, h, w: np.concatenate(
        [np.zeros((1, h, w), int), rng.randint(0, 3, (n - 1, h, w))]),
    "checkerboard": lambda rng, n, h, w: np.broadcast_to(np.indices((h, w)).sum(0) % 2, (n, h, w)),
    "soft": lambda rng, n, h, w: rng.randint(0, 3, (n, h, w)) * 0.4,
}


def _conv_case(ids_np, c, f, k, stride, padding, bias=True, x_grad=True, seed=0):
    paddle.seed(seed)
    n, h, w = ids_np.shape
    ids = paddle.to_tensor(ids_np[:, None].astype("float32"))
    x = paddle.randn([n, c, h, w])
    x.stop_gradient = not x_grad
    weight = paddle.randn([f, c, k, k])
    weight.stop_gradient = False
    b = paddle.randn([f]) if bias else None
    if b is not None:
        b.stop_gradient = False
    params = [t for t in (x, weight, b) if t is not None and not t.stop_gradient]
    ref = unfold_instance_conv2d(x, ids, weight, b, stride, padding)
    grad_out = paddle.randn(ref.shape)
    ref_grads = paddle.grad([ref], params, [grad_out])
    out = fast_instance_conv2d(x, ids, weight, b, stride, padding)
    grads = paddle.grad([out], params, [grad_out])
    assert out.shape == ref.shape
    assert rel(out.numpy(), ref.numpy()) < TOL
    for g, r in zip(grads, ref_grads):
        assert rel(g.numpy(), r.numpy()) < TOL


@pytest.mark.parametrize("kind", sorted(ID_MAPS))
@pytest.mark.parametrize("stride", [1, 2])
def test_fast_conv_equals_unfold(kind, stride):
    rng = np.random.RandomState(0)
    _conv_case(ID_MAPS[kind](rng, 3, 11, 9), c=3, f=5, k=3, stride=stride, padding=1)


@pytest.mark.parametrize("k,stride,padding,size", [(3, 1, 0, (8, 7)), (3, 2, 2, (9, 10)), (5, 1, 2, (10, 10)),
                                                   (5, 2, 1, (13, 11)), (1, 1, 0, (6, 5)), (4, 2, 1, (12, 12)),
                                                   (3, 3, 1, (10, 13))])
def test_fast_conv_other_kernels_strides_paddings(k, stride, padding, size):
    rng = np.random.RandomState(1)
    _conv_case(blobs(rng, 2, *size, 3, cells=4), c=2, f=4, k=k, stride=stride, padding=padding)


def test_fast_conv_without_bias_and_without_input_gradient():
    rng = np.random.RandomState(2)
    _conv_case(rng.randint(0, 3, (2, 9, 9)), c=3, f=4, k=3, stride=1, padding=1, bias=False)
    _conv_case(rng.randint(0, 3, (2, 9, 9)), c=3, f=4, k=3, stride=2, padding=1, x_grad=False)


def test_fast_conv_geometry_finds_the_crossing_windows():
    ids = np.zeros((1, 6, 6), np.float32)
    ids[0, :, 3:] = 1  # a vertical boundary between columns 2 and 3
    geometry = instance_conv_geometry(paddle.to_tensor(ids[:, None]), 3, 1, 1)
    positions = sorted(int(p) for p in geometry.positions.numpy().ravel())
    assert positions == sorted(y * 6 + x for y in range(6) for x in (2, 3))
    assert geometry.mask is None and geometry.zero_row >= 0
    assert instance_conv_geometry(paddle.zeros([2, 1, 5, 5]), 3, 1, 1) is None


def test_fast_conv_outputs_ignore_other_instances_exactly():
    """Boundary outputs are recomputed, not corrected: other instances' values never enter."""
    paddle.seed(3)
    layer = InstanceAwareConv2d(2, 3, 3)
    ids = np.zeros([1, 1, 8, 8], np.float32)
    ids[..., 4:] = 1
    x = paddle.randn([1, 2, 8, 8])
    x2 = x.numpy().copy()
    x2[..., 4:] = 1e4
    a = layer(x, paddle.to_tensor(ids)).numpy()
    b = layer(paddle.to_tensor(x2), paddle.to_tensor(ids)).numpy()
    np.testing.assert_array_equal(a[..., :4], b[..., :4])


def test_layer_impls_agree_and_share_state_names():
    paddle.seed(4)
    fast, slow = InstanceAwareConv2d(3, 4, 3, stride=2), InstanceAwareConv2d(3, 4, 3, stride=2, impl="unfold")
    assert list(fast.state_dict()) == list(slow.state_dict()) == ["weight", "bias"]
    slow.set_state_dict(fast.state_dict())
    ids = paddle.to_tensor(blobs(np.random.RandomState(5), 2, 16, 16, 3)[:, None].astype("float32"))
    x = paddle.randn([2, 3, 8, 8])  # ids are resized (nearest) to x's size inside
    assert rel(fast(x, ids).numpy(), slow(x, ids).numpy()) < TOL
    with pytest.raises(ValueError, match="impl"):
        InstanceAwareConv2d(3, 4, 3, impl="im2col")


def test_same_input_twice_with_backward_in_between():
    """Nothing remembered across calls may carry a graph node (its backward would have run)."""
    paddle.seed(17)
    layer = InstanceAwareConv2d(3, 4, 3)
    ids = paddle.to_tensor(np.random.RandomState(18).randint(0, 3, (2, 1, 8, 8)).astype("float32"))
    x = paddle.randn([2, 3, 8, 8])
    x.stop_gradient = False
    with paddle.no_grad():
        layer(x, ids)
    grads = []
    for _ in range(2):
        layer(x, ids).sum().backward()
        grads.append(x.grad.numpy().copy())
        x.clear_gradient()
    np.testing.assert_array_equal(grads[0], grads[1])


def test_encoder_fast_equals_unfold():
    paddle.seed(7)
    enc = InstanceAdaptiveEncoder(4, 3)
    ids = blobs(np.random.RandomState(8), 2, 32, 32, 3)
    inst = one_hot(ids, 3)
    image = paddle.rand([2, 3, 32, 32])
    image.stop_gradient = False
    outs = {}
    for impl in ("fast", "unfold"):
        for layer in enc.sublayers():
            if isinstance(layer, InstanceAwareConv2d):
                layer.impl = impl
        res = enc(image, inst)
        loss = sum((r * (i + 1)).sum() for i, r in enumerate(res))
        grads = paddle.grad([loss], [image, enc.layer2.weight, enc.bias_conv_var.bias])
        outs[impl] = [r.numpy() for r in res] + [g.numpy() for g in grads]
    for a, b in zip(outs["fast"], outs["unfold"]):
        assert rel(a, b) < 1e-4


# ---------------------------------------------------------------- ILADE look-up
def test_one_hot_index_accepts_one_hot_only():
    idx = np.random.RandomState(9).randint(0, 5, (2, 4, 6))
    maps = one_hot(idx, 5)
    np.testing.assert_array_equal(one_hot_index(maps).numpy(), idx.reshape(2, -1))
    soft = maps.numpy().copy()
    soft[0, :, 0, 0] = 0.2
    assert one_hot_index(paddle.to_tensor(soft)) is None
    negative = maps.numpy().copy()  # sums to 1, zero index variance, but not one-hot
    negative[0, :, 0, 0] = 0
    negative[0, 0, 0, 0], negative[0, 1, 0, 0], negative[0, 2, 0, 0] = 0.5, 0.0, 0.5
    assert one_hot_index(paddle.to_tensor(negative)) is None
    empty = maps.numpy().copy()
    empty[1, :, 3, 5] = 0
    assert one_hot_index(paddle.to_tensor(empty)) is None
    tricky = maps.numpy().copy()  # sum 1 and index moments of channel 1, with a negative entry
    tricky[0, :, 1, 1] = [0.5, 0.0, 0.5, 0.0, 0.0]
    tricky[0, :, 1, 2] = [-0.5, 1.0, 0.5, 0.0, 0.0]
    assert one_hot_index(paddle.to_tensor(tricky)) is None


@pytest.mark.parametrize("param_free", ["instance", "batch", "syncbatch"])
@pytest.mark.parametrize("train", [False, True])
def test_ilade_lookup_equals_matrix_products(param_free, train):
    paddle.seed(10)
    rng = np.random.RandomState(11)
    n, c, labels, k, noise_nc = 2, 5, 6, 4, 3
    layer = ILADE(c, labels, noise_nc, param_free)
    layer.bias.set_value(paddle.randn(layer.bias.shape))
    if param_free != "instance":
        layer.param_free_norm.running_mean.set_value(paddle.randn([c]))
        layer.param_free_norm.running_var.set_value(paddle.rand([c]) + 0.5)
    lab, ins = blobs(rng, n, 14, 10, labels, cells=4), blobs(rng, n, 14, 10, k, cells=5)
    seg = paddle.concat([one_hot(lab, labels), paddle.zeros([n, 1, 14, 10])], 1)  # + edge channel
    inst = one_hot(ins, k)
    maps = IndexMaps.maybe(seg[:, :labels], inst)
    assert maps is not None
    noise = paddle.randn([n, k, 2, noise_nc])
    noise.stop_gradient = False
    x = paddle.randn([n, c, 7, 5]) * 3 + 1  # resized maps, non-integer ratio
    x.stop_gradient = False
    layer.train() if train else layer.eval()
    params = [x, noise, layer.weight, layer.bias, layer.fc_noise.weight, layer.fc_noise.bias]
    results, state = {}, {}
    for name, m in (("readable", None), ("lookup", maps)):
        if param_free != "instance":  # both runs start from the same running statistics
            state = state or {key: v.numpy().copy() for key, v in layer.param_free_norm.state_dict().items()}
            layer.param_free_norm.set_state_dict({key: paddle.to_tensor(v) for key, v in state.items()})
        out = layer(x, seg, inst, noise, index_maps=m)
        grads = paddle.grad([(out * out).sum()], params)
        results[name] = [out.numpy()] + [g.numpy() for g in grads]
        results[name] += [v.numpy() for v in layer.param_free_norm.state_dict().values()]
    for a, b in zip(results["lookup"], results["readable"]):
        assert rel(a, b) < 1e-4


def test_index_maps_reject_maps_that_are_not_one_hot():
    rng = np.random.RandomState(12)
    lab = one_hot(rng.randint(0, 3, (1, 4, 4)), 3)
    ins = one_hot(rng.randint(0, 2, (1, 4, 4)), 2)
    assert IndexMaps.maybe(lab, ins) is not None
    assert IndexMaps.maybe(lab * 0.5, ins) is None
    assert IndexMaps.maybe(lab, ins * 0.5) is None
    assert IndexMaps.maybe(lab, None) is None


# ---------------------------------------------------------------- generator
def test_upsample2x_is_nearest_interpolation():
    x = paddle.randn([2, 3, 5, 7])
    x.stop_gradient = False
    ref = F.interpolate(x, scale_factor=2, mode="nearest")
    out = upsample2x(x)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    g = paddle.randn(ref.shape)
    np.testing.assert_allclose(paddle.grad([out], [x], [g])[0].numpy(),
                               paddle.grad([ref], [x], [g])[0].numpy(), rtol=1e-6, atol=1e-6)


GEN_CONFIGS = {
    "batchnorm": {"norm_G": "spectralspadesyncbatch3x3", "crop_size": 32},
    "instancenorm_more_sketch": {"norm_G": "spadeinstance3x3", "num_upsampling_layers": "more",
                                 "add_sketch": True, "crop_size": 64},
    "most_aspect2": {"norm_G": "spectralspadebatch3x3", "num_upsampling_layers": "most",
                     "aspect_ratio": 2.0, "crop_size": 256},
}


@pytest.mark.parametrize("name", sorted(GEN_CONFIGS))
@pytest.mark.parametrize("train", [False, True])
def test_generator_lookup_on_equals_off(name, train):
    cfg = INADEConfig(norm_mode="inade", use_vae=True, label_nc=4, contain_dontcare_label=True,
                      ngf=2, z_dim=8, noise_nc=3, **GEN_CONFIGS[name])
    paddle.seed(13)
    G = build_generator(cfg)
    for layer in G.sublayers():
        if isinstance(layer, ILADE):
            layer.bias.set_value(paddle.randn(layer.bias.shape) * 0.5)
    rng = np.random.RandomState(14)
    h, w = cfg.image_size
    data = {"label": blobs(rng, 2, h, w, cfg.label_channels, cells=4)[:, None],
            "instance": blobs(rng, 2, h, w, 3, cells=5)[:, None],
            "sketch": (rng.rand(2, 1, h, w) > 0.8).astype("float32")}
    semantics, _, instances, sketch = preprocess_input(data, cfg)
    noise, noise_ins = paddle.randn([2, instances.shape[1], 2, 3]), paddle.randn([2, 8])
    G.train() if train else G.eval()
    state = {k: v.numpy().copy() for k, v in G.state_dict().items()}
    results = {}
    for lookup in (False, True):
        G.set_state_dict({k: paddle.to_tensor(v) for k, v in state.items()})  # same BN / u, v start
        G.lookup = lookup
        _, blocks = G(semantics, input_instances=instances, sketch=sketch if cfg.add_sketch else None,
                         noise=noise, noise_ins=noise_ins, return_blocks=True)
        conv = G.up_3.conv_0
        grads = paddle.grad([blocks["conv_img"].sum()],
                            [G.head_0.norm_0.weight, conv.weight_orig if hasattr(conv, "weight_orig") else conv.weight])
        results[lookup] = ([blocks["conv_img"].numpy()] + [g.numpy() for g in grads]
                           + [v.numpy() for k, v in G.state_dict().items() if "running" in k])
    for a, b in zip(results[True], results[False]):
        assert rel(a, b) < 1e-4


def test_generator_uses_the_readable_path_for_soft_maps():
    cfg = INADEConfig(norm_mode="inade", use_vae=True, label_nc=3, crop_size=32, ngf=2, z_dim=8, noise_nc=3)
    paddle.seed(15)
    G = build_generator(cfg)
    G.eval()
    rng = np.random.RandomState(16)
    semantics, _, instances, _ = preprocess_input(
        {"label": blobs(rng, 1, 32, 32, 3)[:, None], "instance": blobs(rng, 1, 32, 32, 2)[:, None]}, cfg)
    soft = instances * 0.75 + 0.125  # not one-hot: every ILADE must take the matrix products
    noise, noise_ins = paddle.randn([1, soft.shape[1], 2, 3]), paddle.randn([1, 8])
    with paddle.no_grad():
        G.lookup = True
        on = G(semantics, input_instances=soft, noise=noise, noise_ins=noise_ins).numpy()
        G.lookup = False
        off = G(semantics, input_instances=soft, noise=noise, noise_ins=noise_ins).numpy()
    np.testing.assert_array_equal(on, off)


# ---------------------------------------------------------- fused norms, channel bias
def _value_and_grads(fn, *inputs):
    """fn(*inputs) and the gradients of a fixed random projection of it w.r.t. every input."""
    for t in inputs:
        t.stop_gradient = False
    out = fn(*inputs)
    weight = paddle.to_tensor(np.random.RandomState(3).randn(*out.shape).astype("float32"))
    grads = paddle.grad([(out * weight).sum()], list(inputs))
    return [out.numpy()] + [g.numpy() for g in grads]


@pytest.mark.parametrize("shape", [[4, 6, 5, 7], [1, 3, 8, 8]])
def test_fused_instance_norm_equals_readable(shape):
    x = paddle.to_tensor(np.random.RandomState(0).randn(*shape).astype("float32") * 3 + 1)
    for a, b in zip(_value_and_grads(instance_norm, x), _value_and_grads(instance_norm_reference, x)):
        assert rel(a, b) < TOL


@pytest.mark.parametrize("kind", ["batch", "syncbatch"])
def test_fused_batch_norm_equals_readable_and_keeps_torch_running_statistics(kind):
    rng = np.random.RandomState(1)
    x_np = (rng.randn(4, 6, 5, 7) * 2 + 0.5).astype("float32")
    fused = ParamFreeNorm(6, kind)
    fused.train()
    x = paddle.to_tensor(x_np)

    def by_moments(t):  # the readable training path: batch moments, then (x - mean) * rsqrt(var + eps)
        mean, var = batch_norm_train_reference(t)
        return (t - mean.reshape([1, -1, 1, 1])) * paddle.rsqrt(var.reshape([1, -1, 1, 1]) + 1e-5)

    for a, b in zip(_value_and_grads(fused, x), _value_and_grads(by_moments, x)):
        assert rel(a, b) < TOL
    count = x_np.shape[0] * x_np.shape[2] * x_np.shape[3]
    mean, var = x_np.mean((0, 2, 3)), x_np.var((0, 2, 3))
    np.testing.assert_allclose(fused.running_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(fused.running_var.numpy(), 0.9 + 0.1 * var * count / (count - 1), rtol=1e-5)
    assert int(fused.num_batches_tracked) == 1


def _torch_running_statistics(mean0, var0, batches):
    """numpy: torch's update, momentum 0.1, the unbiased batch variance (biased * n / (n - 1))."""
    mean, var = mean0.astype(np.float64), var0.astype(np.float64)
    for x in batches:
        n = x.shape[0] * x.shape[2] * x.shape[3]
        mean = 0.9 * mean + 0.1 * x.mean((0, 2, 3), dtype=np.float64)
        var = 0.9 * var + 0.1 * x.var((0, 2, 3), dtype=np.float64) * n / (n - 1)
    return mean, var


@pytest.mark.parametrize("shape", [[4, 6, 5, 7], [2, 3, 1, 1], [1, 2, 3, 1]])
def test_fused_batch_norm_running_statistics_follow_the_readable_formula(shape):
    """From non-trivial running statistics, two training forwards: the numbers of the readable
    formula (and of :func:`running_statistics_reference`)."""
    rng = np.random.RandomState(3)
    norm = ParamFreeNorm(shape[1], "batch")
    norm.train()
    mean0 = rng.randn(shape[1]).astype("float32")
    var0 = (rng.rand(shape[1]) + 0.5).astype("float32")
    norm.running_mean.set_value(paddle.to_tensor(mean0))
    norm.running_var.set_value(paddle.to_tensor(var0))
    batches = [(rng.randn(*shape) * s + o).astype("float32") for s, o in ((3.0, -1.0), (0.2, 4.0))]
    ref_mean, ref_var = paddle.to_tensor(mean0), paddle.to_tensor(var0)
    for x in batches:
        norm(paddle.to_tensor(x))
        ref_mean, ref_var = running_statistics_reference(ref_mean, ref_var, paddle.to_tensor(x))
    mean, var = _torch_running_statistics(mean0, var0, batches)
    np.testing.assert_allclose(norm.running_mean.numpy(), mean, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(norm.running_var.numpy(), var, rtol=1e-6)
    np.testing.assert_allclose(ref_mean.numpy(), mean, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ref_var.numpy(), var, rtol=1e-6)
    assert int(norm.num_batches_tracked) == 2


def test_fused_batch_norm_ignores_the_kernels_running_statistics(monkeypatch):
    """Backends disagree on the running variance the kernel writes (cuDNN: unbiased, Paddle's
    CPU kernel: biased): whatever it writes there must not reach the buffers."""
    from paddle_inade.nn import param_free_norm

    kernel = param_free_norm._C_ops.batch_norm

    def nan_running_statistics(x, mean, var, *args):
        outs = kernel(x, mean, var, *args)
        with paddle.no_grad():
            for t in (mean, var, outs[1], outs[2]):
                paddle.assign(paddle.full(t.shape, float("nan"), t.dtype), output=t)
        return outs

    rng = np.random.RandomState(4)
    x = (rng.randn(3, 4, 6, 5) * 2 + 1).astype("float32")
    norm = ParamFreeNorm(4, "batch")
    norm.train()
    monkeypatch.setattr(param_free_norm._C_ops, "batch_norm", nan_running_statistics)
    norm(paddle.to_tensor(x))
    mean, var = _torch_running_statistics(np.zeros(4, "float32"), np.ones(4, "float32"), [x])
    np.testing.assert_allclose(norm.running_mean.numpy(), mean, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(norm.running_var.numpy(), var, rtol=1e-6)


@pytest.mark.parametrize("shape", [[8, 5, 6, 7], [1, 4, 3, 3], [2, 1, 4, 4]])
def test_channel_bias_equals_broadcast(shape):
    rng = np.random.RandomState(2)
    x = paddle.to_tensor(rng.randn(*shape).astype("float32"))
    bias = paddle.to_tensor(rng.randn(shape[1]).astype("float32"))
    for a, b in zip(_value_and_grads(add_channel_bias, x, bias),
                    _value_and_grads(add_channel_bias_reference, x, bias)):
        assert rel(a, b) < TOL
    conv = Conv2D(shape[1], 3, 3, stride=2, padding=1)
    plain = paddle.nn.Conv2D(shape[1], 3, 3, stride=2, padding=1)
    plain.set_state_dict(conv.state_dict())
    assert rel(conv(x).numpy(), plain(x).numpy()) < TOL
