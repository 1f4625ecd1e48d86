"""The implementations chosen per device give the same numbers, and forward passes wait for the
device at most once.

The boundary geometry of the instance-aware convolutions has a host (numpy, taken for CPU
tensors) and a device (Paddle ops, taken elsewhere) implementation; the ILADE index maps run
Paddle ops everywhere, with a numpy reference. Here both run on the test device and are
compared exactly; the waits (device-to-host reads of tensor values) of the encoder, the
generator and ``preprocess_input`` are counted.
"""
from __future__ import annotations

import collections

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from paddle_inade import INADEConfig, build_encoder, build_generator, preprocess_input
from paddle_inade.nn import InstanceAwareConv2d, instance_geometry
from paddle_inade.nn.index_maps import IndexMaps
from paddle_inade.nn.geometry_choice import instance_conv_geometries
from paddle_inade.nn.instance_geometry import ConvSpec

SPECS = [(3, 1, 1), (3, 2, 1), (3, 1, 0), (5, 2, 2), (1, 1, 0), (4, 2, 1), (3, 3, 1)]
ID_MAPS = {
    "random": lambda rng, shape: rng.randint(0, 3, shape).astype("float32"),
    "soft": lambda rng, shape: (rng.randint(0, 3, shape) * 0.4).astype("float32"),
    "uniform": lambda rng, shape: np.full(shape, 2.0, "float32"),
    "one_sample_uniform": lambda rng, shape: np.concatenate(
        [np.zeros((1, *shape[1:]), "float32"), rng.randint(0, 3, (shape[0] - 1, *shape[1:])).astype("float32")]),
}


@pytest.mark.parametrize("kind", sorted(ID_MAPS))
@pytest.mark.parametrize("shape", [(3, 11, 9), (2, 16, 16), (1, 7, 13)])
def test_geometry_host_equals_device(kind, shape):
    """Field for field: the same positions, rows, zero row and mask (or none)."""
    ids = paddle.to_tensor(ID_MAPS[kind](np.random.RandomState(0), shape)[:, None])
    specs = [ConvSpec(shape[1], shape[2], k, s, p) for k, s, p in SPECS]
    specs.append(ConvSpec(shape[1] // 2, shape[2] // 2, 3, 1, 1))  # resized ids
    host = instance_conv_geometries(ids, specs, impl="host")
    device = instance_conv_geometries(ids, specs, impl="device")
    for spec in specs:
        a, b = host[spec], device[spec]
        assert a.spec == b.spec == spec
        assert (a.num_positions, a.zero_row, a.mask is None) == (b.num_positions, b.zero_row, b.mask is None)
        assert a.fraction == pytest.approx(b.fraction, abs=1e-12)
        for name in ("rows", "positions", "mask"):
            x, y = getattr(a, name), getattr(b, name)
            if x is not None:
                assert x.dtype == y.dtype, name
                np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=f"{spec} {name}")


def test_geometry_of_a_wrong_size_is_refused():
    ids = paddle.zeros([1, 1, 8, 8])
    ids[:, :, :, 4:] = 1
    geometry = instance_conv_geometries(ids, [ConvSpec(8, 8, 3, 1, 1)])[ConvSpec(8, 8, 3, 1, 1)]
    paddle.seed(0)
    layer = InstanceAwareConv2d(2, 3, 3, stride=2)
    with pytest.raises(ValueError, match="geometry computed for"):
        layer(paddle.randn([1, 2, 8, 8]), ids, geometry=geometry)


def _blobs(rng, n, size, k, cells=4):
    small = rng.randint(0, k, (n, cells, cells))
    return np.kron(small, np.ones((1, size // cells, size // cells), int))


def test_encoder_with_device_geometry_is_identical(monkeypatch):
    cfg = INADEConfig.preset("toy", crop_size=32)
    paddle.seed(1)
    enc = build_encoder(cfg)
    inst = F.one_hot(paddle.to_tensor(_blobs(np.random.RandomState(2), 2, 32, 4)), 4)
    inst = inst.transpose([0, 3, 1, 2]).astype("float32")
    image = paddle.rand([2, 3, 32, 32])
    image.stop_gradient = False
    outs = {}
    for impl in ("host", "device"):
        monkeypatch.setattr(instance_geometry, "default_impl", lambda place, impl=impl: impl)
        res = enc(image, inst)
        (grad,) = paddle.grad([sum((r * (i + 1)).sum() for i, r in enumerate(res))], [image])
        outs[impl] = [r.numpy() for r in res] + [grad.numpy()]
    for a, b in zip(outs["host"], outs["device"]):
        np.testing.assert_array_equal(a, b)


def _one_hot(idx, k):
    return F.one_hot(paddle.to_tensor(idx), k).transpose([0, 3, 1, 2]).astype("float32")


@pytest.mark.parametrize("n,h,w,labels,k", [(3, 8, 9, 5, 4), (2, 16, 16, 7, 3), (1, 5, 5, 3, 1)])
def test_index_maps_device_equals_host(n, h, w, labels, k):
    rng = np.random.RandomState(3)
    lab = _one_hot(rng.randint(0, labels, (n, h, w)), labels)
    ins = _one_hot(rng.randint(0, k, (n, h, w)), k)
    for lab_in, ins_in in ((lab, ins), (lab * 0.5, ins), (lab, ins * 0.5)):
        host = IndexMaps.maybe(lab_in, ins_in, impl="host")
        device = IndexMaps.maybe(lab_in, ins_in, impl="device")
        assert (host is None) == (device is None)
        if host is None:
            continue
        assert host.num_pairs == device.num_pairs
        for name in ("pairs", "pair_label", "pair_instance"):
            a, b = getattr(host, name), getattr(device, name)
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(ValueError, match="impl"):
        IndexMaps.maybe(lab, ins, impl="gpu")


# ---------------------------------------------------------------- waits for the device
READS = ("numpy", "__bool__", "__int__", "__float__", "item", "tolist", "__index__")


@pytest.fixture
def reads(monkeypatch):
    """Counts device-to-host reads of tensor values (the calls that wait for the device)."""
    counts = collections.Counter()
    for name in READS:
        original = getattr(paddle.Tensor, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            counts[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(paddle.Tensor, name, counted)
    return counts


def _scene(n, size, k, labels):
    rng = np.random.RandomState(4)
    return {"label": _blobs(rng, n, size, labels)[:, None].astype("int64"),
            "instance": _blobs(rng, n, size, k)[:, None].astype("int64"),
            "image": rng.rand(n, 3, size, size).astype("float32") * 2 - 1}


@pytest.mark.parametrize("train", [False, True])
def test_forward_passes_wait_for_the_device_at_most_once(reads, train):
    cfg = INADEConfig.preset("toy", crop_size=32)
    paddle.seed(5)
    G, E = build_generator(cfg), build_encoder(cfg)
    for net in (G, E):
        net.train() if train else net.eval()
    data = _scene(2, 32, 4, cfg.label_nc)
    semantics, image, instances, _ = preprocess_input(data, cfg)
    assert sum(reads.values()) == 0, f"preprocess_input of numpy data read tensors: {dict(reads)}"
    E(image, instances)
    assert sum(reads.values()) == 1, f"encoder: {dict(reads)}"
    reads.clear()
    G(semantics, input_instances=instances)
    assert sum(reads.values()) == 1, f"generator: {dict(reads)}"
    reads.clear()
    preprocess_input({k: paddle.to_tensor(v) for k, v in data.items()}, cfg)
    assert sum(reads.values()) == 1, f"preprocess_input of tensors: {dict(reads)}"
