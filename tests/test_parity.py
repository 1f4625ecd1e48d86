"""Parity with the original PyTorch INADE on its own weights (tests/fixtures, see its README).

Tolerances from the fixtures' README: relative error <= 1e-4 on outputs and losses,
<= 1e-3 on gradients and on parameters after the Adam step.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import paddle
import pytest

from conftest import Reference, assert_close
from paddle_inade import preprocess_input
from paddle_inade.models import pre_process_noise
from reference_nets import load_nets, tensors

OUT_TOL, GRAD_TOL = 1e-4, 1e-3


def test_preprocess_input_matches(reference):
    cfg = reference.config()
    data = {"label": reference["label"], "instance": reference["instance"], "image": reference["image"]}
    semantics, image, instances, _ = preprocess_input(data, cfg)
    np.testing.assert_array_equal(semantics.numpy(), reference["input_semantics"])
    if cfg.is_inade:
        np.testing.assert_array_equal(instances.numpy(), reference["input_instances"])
    else:
        assert instances is None


def _z(cfg, E, image, instances, reference):
    if E is None:
        return None
    if cfg.is_inade:
        s_mu, s_lv, b_mu, b_lv = E(image, instances)
        return [s_mu, paddle.exp(0.5 * s_lv), b_mu, paddle.exp(0.5 * b_lv)]
    return paddle.to_tensor(reference["z"])


@pytest.mark.parametrize("name", ["tiny_inade", "spade_vae_256"])  # tiny_spade has no encoder
def test_encoder_outputs(name):
    reference = Reference(name)
    cfg, G, E, D = load_nets(reference)
    semantics, image, instances, noise, _ = tensors(reference)
    if cfg.is_inade:
        names = ("enc_scale_mu", "enc_scale_logvar", "enc_bias_mu", "enc_bias_logvar")
        outs = E(image, instances)
        for name, out in zip(names, outs):
            assert_close(out.numpy(), reference[name], OUT_TOL, name)
        z = [outs[0], paddle.exp(0.5 * outs[1]), outs[2], paddle.exp(0.5 * outs[3])]
        assert_close(pre_process_noise(noise, z).numpy(), reference["noise_remapped"], OUT_TOL,
                     "noise_remapped")
    else:
        mu, logvar = E(image)
        assert_close(mu.numpy(), reference["enc_mu"], OUT_TOL, "enc_mu")
        assert_close(logvar.numpy(), reference["enc_logvar"], OUT_TOL, "enc_logvar")
        z = paddle.to_tensor(reference["eps"]) * paddle.exp(0.5 * logvar) + mu
        assert_close(z.numpy(), reference["z"], OUT_TOL, "z")


def test_generator_eval_and_blocks(reference):
    cfg, G, E, D = load_nets(reference)
    semantics, image, instances, noise, noise_ins = tensors(reference)
    z = _z(cfg, E, image, instances, reference)
    fake, blocks = G(semantics, z=z, input_instances=instances, noise=noise, noise_ins=noise_ins,
                     return_blocks=True)
    assert_close(fake.numpy(), reference["fake_eval"], OUT_TOL, "fake_eval")
    block_keys = [k for k in reference.io.files if k.startswith("G_block_")]
    assert block_keys
    for key in block_keys:
        assert_close(blocks[key[len("G_block_"):]].numpy(), reference[key], OUT_TOL, key)


def test_spade_generator_with_stacked_convolutions(tiny_spade):
    """SPADE's stacked gamma/beta heads (nn.spade.fused_heads) and each block's stacked mlp_shared
    convolutions (stacked_shared), which are chosen on large maps only, forced in every layer and
    block of the tiny model: the original's output all the same."""
    from paddle_inade.models.resnet_block import SPADEResnetBlock
    from paddle_inade.nn.spade import SPADE
    cfg, G, E, D = load_nets(tiny_spade)
    layers = [layer for layer in G.sublayers() if isinstance(layer, SPADE)]
    blocks = [block for block in G.sublayers() if isinstance(block, SPADEResnetBlock)]
    assert layers and blocks
    for layer in layers:
        layer.heads = "fused"
    for block in blocks:
        block.shared = "stacked"
    semantics, image, instances, noise, noise_ins = tensors(tiny_spade)
    fake = G(semantics, z=_z(cfg, E, image, instances, tiny_spade), input_instances=instances, noise=noise,
             noise_ins=noise_ins)
    assert_close(fake.numpy(), tiny_spade["fake_eval"], OUT_TOL, "fake_eval")


def test_discriminator_every_layer(reference):
    cfg, G, E, D = load_nets(reference)
    semantics, image, *_ = tensors(reference)
    out = D(paddle.concat([semantics, image], 1))
    assert len(out) == cfg.num_D
    for i, scale in enumerate(out):
        assert len(scale) == cfg.n_layers_D + 1
        for j, t in enumerate(scale):
            assert_close(t.numpy(), reference[f"D_real_s{i}_l{j}"], OUT_TOL, f"D_real_s{i}_l{j}")


def test_generator_train_mode(tiny_inade):
    cfg, G, E, D = load_nets(tiny_inade, train=True)
    semantics, image, instances, noise, noise_ins = tensors(tiny_inade)
    z = _z(cfg, E, image, instances, tiny_inade)
    fake = G(semantics, z=z, input_instances=instances, noise=noise, noise_ins=noise_ins)
    assert_close(fake.numpy(), tiny_inade["fake_train"], OUT_TOL, "fake_train")


EXTRA = sorted(p.name for p in (Path(__file__).parent / "fixtures" / "extra").iterdir() if p.is_dir())


@pytest.mark.parametrize("name", EXTRA)
def test_extra_configurations(name):
    """Other upsampling modes, aspect ratio 2, sketch input, batch/instance norms, no spectral
    norm, no encoder, no dontcare, SPADE: generator blocks, encoder and discriminator."""
    ref = Reference(f"extra/{name}")
    cfg, G, E, D = load_nets(ref)
    data = {k: ref[k] for k in ("label", "instance", "image", "sketch")}
    semantics, image, instances, sketch = preprocess_input(data, cfg)
    np.testing.assert_array_equal(semantics.numpy(), ref["input_semantics"])
    z = None
    if E is not None:
        outs = E(image, instances)
        for key, out in zip(("enc_scale_mu", "enc_scale_logvar", "enc_bias_mu", "enc_bias_logvar"), outs):
            assert_close(out.numpy(), ref[key], OUT_TOL, key)
        z = [outs[0], paddle.exp(0.5 * outs[1]), outs[2], paddle.exp(0.5 * outs[3])]
    noise = paddle.to_tensor(ref["noise"]) if cfg.is_inade else None
    fake, blocks = G(semantics, z=z, input_instances=instances, sketch=sketch if cfg.add_sketch else None,
                     noise=noise, noise_ins=paddle.to_tensor(ref["noise_ins"]), return_blocks=True)
    assert_close(fake.numpy(), ref["fake_eval"], OUT_TOL, "fake_eval")
    for key in (k for k in ref.io.files if k.startswith("G_block_")):
        assert_close(blocks[key[len("G_block_"):]].numpy(), ref[key], OUT_TOL, key)
    out = D(paddle.concat([semantics, image], 1))
    for i, scale in enumerate(out):
        for j, t in enumerate(scale):
            assert_close(t.numpy(), ref[f"D_real_s{i}_l{j}"], OUT_TOL, f"D_real_s{i}_l{j}")
