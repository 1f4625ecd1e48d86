"""The generator's two border/upsampling aids: --padding_G reflect and --upsampling_G bilinear.

Off (zeros / nearest) they are the original's computation, which the parity tests check; here
what they compute when on, against references written independently, and that they survive
folding spectral norms and the pipeline's save / load.
"""
from __future__ import annotations

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from paddle_inade.config import INADEConfig
from paddle_inade.models.generator import SPADEGenerator, upsample2x_bilinear
from paddle_inade.nn.channel_bias import Conv2D
from paddle_inade.nn.spectral_norm import SpectralConv2D, remove_spectral_norm


def _reflect_pad(x: np.ndarray, p: int) -> np.ndarray:
    return np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], mode="reflect")


def _conv_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Valid 3x3 cross-correlation in NumPy: x [N, C, H, W], w [F, C, 3, 3] -> [N, F, H-2, W-2]."""
    n, c, h, width = x.shape
    out = np.zeros((n, w.shape[0], h - 2, width - 2))
    for dy in range(3):
        for dx in range(3):
            out += np.einsum("nchw,fc->nfhw", x[:, :, dy:dy + h - 2, dx:dx + width - 2], w[:, :, dy, dx])
    return out + b[None, :, None, None]


@pytest.mark.parametrize("spectral", [False, True])
def test_reflect_padding_is_a_mirrored_border_then_a_valid_convolution(spectral):
    paddle.seed(1)
    conv = SpectralConv2D(4, 5, 3, 1, 1) if spectral else Conv2D(4, 5, 3, padding=1)
    conv.eval()
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 6)).astype(np.float32)
    zeros = conv(paddle.to_tensor(x)).numpy()
    conv.pad_mode = "reflect"
    got = conv(paddle.to_tensor(x)).numpy()
    want = _conv_reference(_reflect_pad(x, 1), conv.weight.numpy(), conv.bias.numpy())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert np.abs(got - zeros)[..., 1:-1, 1:-1].max() < 1e-5  # inside the border: the same
    assert np.abs(got - zeros).max() > 1e-3  # at the border: not the same
    if spectral:  # the inference pipeline folds spectral norms: the padding goes with the weight
        holder = paddle.nn.Sequential(conv)
        remove_spectral_norm(holder)
        np.testing.assert_allclose(holder(paddle.to_tensor(x)).numpy(), got, rtol=1e-5, atol=1e-5)


def test_bilinear_upsampling_uses_half_pixel_centres():
    x = np.random.default_rng(1).standard_normal((1, 2, 3, 4)).astype(np.float32)

    def axis_weights(n):  # output i samples source (i + 0.5) / 2 - 0.5, clamped to the edge
        src = np.clip((np.arange(2 * n) + 0.5) / 2 - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        m = np.zeros((2 * n, n))
        m[np.arange(2 * n), lo] += 1 - (src - lo)
        m[np.arange(2 * n), hi] += src - lo
        return m

    want = np.einsum("ih,nchw,jw->ncij", axis_weights(3), x, axis_weights(4))
    np.testing.assert_allclose(upsample2x_bilinear(paddle.to_tensor(x)).numpy(), want, rtol=1e-5, atol=1e-6)


def _toy(**aids) -> INADEConfig:
    return INADEConfig.preset("toy", ngf=4, z_dim=8, **aids)


def test_the_aids_reach_every_convolution_of_the_generator():
    gen = SPADEGenerator(_toy(padding_G="reflect", upsampling_G="bilinear"))
    convs = [layer for layer in gen.sublayers() if isinstance(layer, (Conv2D, SpectralConv2D))]
    assert convs and all(layer.pad_mode == "reflect" for layer in convs)
    assert gen.upsampling == "bilinear"
    assert all(layer.pad_mode == "zeros" for layer in SPADEGenerator(_toy(padding_G="zeros")).sublayers()
               if isinstance(layer, (Conv2D, SpectralConv2D)))


def test_a_pipeline_with_the_aids_saves_and_loads_the_same_images(tmp_path):
    from paddle_inade.pipeline import INADEPipeline
    cfg = _toy(padding_G="reflect", upsampling_G="bilinear")
    paddle.seed(3)
    pipe = INADEPipeline(cfg, SPADEGenerator(cfg))
    label = np.zeros((64, 64), np.int64)
    label[8:20, 10:24] = 3
    instance = (label > 0).astype(np.int64)
    before = pipe.generate(label, instance, seed=5, output="float")
    pipe.save_pretrained(tmp_path / "p")
    loaded = INADEPipeline.from_pretrained(tmp_path / "p")
    assert (loaded.cfg.padding_G, loaded.cfg.upsampling_G) == ("reflect", "bilinear")
    np.testing.assert_allclose(loaded.generate(label, instance, seed=5, output="float"), before, atol=1e-5)
    off = cfg.replace(padding_G="zeros", upsampling_G="nearest")
    plain = INADEPipeline(off, SPADEGenerator(off))
    plain.netG.set_state_dict(pipe.netG.state_dict())
    assert np.abs(plain.generate(label, instance, seed=5, output="float") - before).max() > 1e-3


@pytest.mark.parametrize("option,value", [("padding_G", "circular"), ("upsampling_G", "bicubic")])
def test_a_bad_value_names_the_option_and_the_choices(option, value):
    with pytest.raises(ValueError, match=rf"--{option} '{value}' is not one of"):
        _toy(**{option: value})


def test_a_map_too_small_to_reflect_repeats_its_edge():
    paddle.seed(2)
    conv = Conv2D(3, 2, 3, padding=1)
    conv.pad_mode = "reflect"
    x = np.random.default_rng(2).standard_normal((1, 3, 1, 4)).astype(np.float32)  # 1 row: nothing to reflect
    edge = np.pad(x, [(0, 0), (0, 0), (1, 1), (0, 0)], mode="edge")
    edge = np.pad(edge, [(0, 0), (0, 0), (0, 0), (1, 1)], mode="edge")
    want = _conv_reference(edge, conv.weight.numpy(), conv.bias.numpy())
    np.testing.assert_allclose(conv(paddle.to_tensor(x)).numpy(), want, rtol=1e-5, atol=1e-5)
    SPADEGenerator(_toy(padding_G="reflect", crop_size=32))(paddle.zeros([1, 7, 32, 32]),  # 1x1 first tensor
                                                             input_instances=paddle.zeros([1, 1, 32, 32]))


def test_an_exported_generator_with_the_aids_computes_what_the_network_does(tmp_path):
    from paddle_inade.data.toy_scenes import render_scene
    from paddle_inade.export import export_generator
    from paddle_inade.pipeline import Layout
    cfg = _toy(padding_G="reflect", upsampling_G="bilinear", init_variance=0.1)
    paddle.seed(0)
    gen = SPADEGenerator(cfg)
    gen.eval()
    label, inst = render_scene(np.random.default_rng(5), 64)[:2]
    semantics, _, instances, _ = Layout(label, inst, cfg).inputs()
    k = instances.shape[1]
    rng = np.random.default_rng(0)
    noise = paddle.to_tensor(rng.standard_normal((1, k, 2, cfg.noise_nc)).astype(np.float32))
    noise_ins = paddle.to_tensor(rng.standard_normal((1, cfg.z_dim)).astype(np.float32))
    export_generator(gen, cfg, str(tmp_path / "g"), batch=1, n_instances=k)
    with paddle.no_grad():
        want = gen(semantics, input_instances=instances, noise=noise, noise_ins=noise_ins).numpy()
    out = paddle.jit.load(str(tmp_path / "g"))(semantics, instances, noise, noise_ins)
    got = (out[0] if isinstance(out, (list, tuple)) else out).numpy()
    assert np.abs(got - want).max() <= 1e-5
