"""SPADE's gamma/beta heads: the stacked-kernel path (paddle_inade.nn.spade.fused_heads) against
the two convolutions one after the other (separate_heads), and a residual block's mlp_shared
convolutions stacked (stacked_shared) against each norm's own (separate_shared): forward and
gradients, and where each path is chosen."""
from __future__ import annotations

import numpy as np
import paddle
import pytest

from conftest import rel_err
from paddle_inade.nn.spade import (
    SPADE,
    choose_heads,
    choose_shared,
    fused_heads,
    separate_heads,
    separate_shared,
    stacked_shared,
)

TOL = 1e-5


def _spade(norm_nc, label_nc, seed=0, **kw):
    paddle.seed(seed)
    layer = SPADE(norm_nc, label_nc, "instance", **kw)
    rng = np.random.default_rng(seed)
    for p in layer.parameters():  # non-zero biases, so that a swapped or lost bias shows
        p.set_value(rng.standard_normal(p.shape).astype("float32") * 0.1)
    return layer


@pytest.mark.parametrize("pad_mode", ["zeros", "reflect"])
def test_fused_heads_equal_separate_forward_and_gradients(pad_mode):
    layer = _spade(6, 5, hidden=8)
    for conv in (layer.mlp_gamma, layer.mlp_beta):
        conv.pad_mode = pad_mode
    rng = np.random.default_rng(1)
    actv = paddle.to_tensor(rng.standard_normal((2, 8, 9, 7)).astype("float32"), stop_gradient=False)
    up = [paddle.to_tensor(rng.standard_normal((2, 6, 9, 7)).astype("float32")) for _ in range(2)]
    results = []
    for heads in (separate_heads, fused_heads):
        gamma, beta = heads(layer.mlp_gamma, layer.mlp_beta, actv)
        params = [actv, layer.mlp_gamma.weight, layer.mlp_gamma.bias, layer.mlp_beta.weight, layer.mlp_beta.bias]
        grads = paddle.grad([(gamma * up[0]).sum() + (beta * up[1]).sum()], params)
        results.append([gamma, beta, *grads])
    for ref, fast in zip(*results):
        assert list(ref.shape) == list(fast.shape)
        assert rel_err(fast, ref) < TOL


def test_layer_paths_agree_on_a_large_map():
    layer = _spade(4, 3, hidden=6)
    rng = np.random.default_rng(2)
    x = paddle.to_tensor(rng.standard_normal((1, 4, 64, 64)).astype("float32"))
    seg = paddle.to_tensor(rng.standard_normal((1, 3, 32, 32)).astype("float32"))
    outs = {}
    for heads in ("separate", "fused", "auto"):
        layer.heads = heads
        outs[heads] = layer(x, seg)
    assert rel_err(outs["fused"], outs["separate"]) < TOL
    assert rel_err(outs["auto"], outs["fused"]) == 0  # auto takes the fused path on a 64x64 map


def test_choice_by_map_size_and_groups():
    ungrouped, grouped = _spade(4, 3, hidden=6), _spade(4, 4, hidden=8, shared_groups=2, groups=2)
    assert choose_heads(ungrouped.mlp_gamma, paddle.zeros([1, 6, 64, 64])) is fused_heads
    assert choose_heads(ungrouped.mlp_gamma, paddle.zeros([1, 6, 32, 32])) is separate_heads
    assert choose_heads(grouped.mlp_gamma, paddle.zeros([1, 8, 128, 128])) is separate_heads
    with pytest.raises(ValueError, match="ungrouped"):
        fused_heads(grouped.mlp_gamma, grouped.mlp_beta, paddle.zeros([1, 8, 4, 4]))


def test_state_names_unchanged():
    assert sorted(_spade(4, 3).state_dict()) == sorted(
        ["mlp_shared.0.weight", "mlp_shared.0.bias", "mlp_gamma.weight", "mlp_gamma.bias",
         "mlp_beta.weight", "mlp_beta.bias"])


# ------------------------------------------------------------ a block's mlp_shared convolutions
def _block(label_nc, fin=6, fout=4, seed=0):
    from paddle_inade.models.resnet_block import SPADEResnetBlock
    from paddle_inade.nn import SpadeNormSpec
    paddle.seed(seed)
    block = SPADEResnetBlock(fin, fout, norm=SpadeNormSpec.parse("spadeinstance3x3", "norm_G"), norm_mode="spade",
                             semantic_nc=label_nc, label_channels=label_nc)
    rng = np.random.default_rng(seed)
    for p in block.parameters():
        p.set_value(rng.standard_normal(p.shape).astype("float32") * 0.1)
    return block


def test_stacked_shared_equal_separate_forward_and_gradients():
    layers = [_spade(4, 5, seed=s, hidden=6) for s in range(3)]
    rng = np.random.default_rng(3)
    seg = paddle.to_tensor(rng.standard_normal((2, 5, 7, 9)).astype("float32"), stop_gradient=False)
    ups = [paddle.to_tensor(rng.standard_normal((2, 6, 7, 9)).astype("float32")) for _ in layers]
    results = []
    for fn in (separate_shared, stacked_shared):
        feats = fn(layers, seg)
        loss = sum((f * u).sum() for f, u in zip(feats, ups))
        params = [seg] + [p for layer in layers for p in layer.mlp_shared.parameters()]
        results.append([*feats, *paddle.grad([loss], params)])
    for ref, fast in zip(*results):
        assert rel_err(fast, ref) < TOL


def test_block_paths_agree_and_auto_stacks_large_label_maps():
    block = _block(label_nc=64)
    rng = np.random.default_rng(4)
    x = paddle.to_tensor(rng.standard_normal((1, 6, 64, 64)).astype("float32"))
    seg = paddle.to_tensor(rng.standard_normal((1, 64, 16, 16)).astype("float32"))
    outs = {}
    for mode in ("separate", "stacked", "auto"):
        block.shared = mode
        outs[mode] = block(x, seg)
    assert rel_err(outs["stacked"], outs["separate"]) < TOL
    assert rel_err(outs["auto"], outs["stacked"]) == 0  # 64 label channels on a 64x64 map: stacked
    layers = [block.norm_s, block.norm_0, block.norm_1]
    assert choose_shared(layers, paddle.zeros([1, 64, 64, 64])) is stacked_shared
    assert choose_shared(layers, paddle.zeros([1, 64, 32, 32])) is separate_shared
    assert choose_shared(layers[:1], paddle.zeros([1, 64, 64, 64])) is separate_shared
    few = _block(label_nc=9)
    assert choose_shared([few.norm_0, few.norm_1], paddle.zeros([1, 9, 256, 256])) is separate_shared
