"""AdaIN operations and AdaINPipeline: properties, and clear errors for bad input."""
from __future__ import annotations

import numpy as np
import paddle
import pytest

import adain_reference as ref
from paddle_inade.adain import AdaINPipeline, adain, calc_mean_std
from paddle_inade.adain.decoder import decoder_output_size
from paddle_inade.adain.vgg import min_image_size


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    vgg, decoder = ref.write_weights(tmp_path_factory.mktemp("adain_weights"))
    return AdaINPipeline.from_pretrained(vgg=vgg, decoder=decoder, device="cpu")


@pytest.fixture(scope="module")
def images():
    io = ref.io()
    return io["content"], io["style0"], io["style1"]


def test_calc_mean_std_is_the_unbiased_formula():
    x = np.random.RandomState(0).randn(2, 3, 5, 4).astype(np.float32)
    mean, std = calc_mean_std(paddle.to_tensor(x))
    flat = x.reshape(2, 3, -1).astype(np.float64)
    np.testing.assert_allclose(mean.numpy()[..., 0, 0], flat.mean(-1), rtol=1e-5)
    np.testing.assert_allclose(std.numpy()[..., 0, 0], np.sqrt(flat.var(-1, ddof=1) + 1e-5), rtol=1e-5)
    with pytest.raises(ValueError, match=r"\[N, C, H, W\]"):
        calc_mean_std(paddle.to_tensor(x[0]))
    with pytest.raises(ValueError, match="at least 2 positions"):
        calc_mean_std(paddle.to_tensor(x[:, :, :1, :1]))


def test_adain_gives_the_content_the_style_statistics():
    rng = np.random.RandomState(1)
    content = paddle.to_tensor(rng.randn(2, 4, 6, 5).astype(np.float32) * 3 + 1)
    style = paddle.to_tensor(rng.randn(2, 4, 3, 7).astype(np.float32) * 0.5 - 2)
    out_mean, out_std = calc_mean_std(adain(content, style))
    style_mean, style_std = calc_mean_std(style)
    np.testing.assert_allclose(out_mean.numpy(), style_mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(out_std.numpy(), style_std.numpy(), rtol=1e-4)
    with pytest.raises(ValueError, match="agree in batch and channels"):
        adain(content, style[:, :3])


def test_output_size_and_types(pipe, images):
    content, style, _ = images
    out = pipe.transfer(content, style)
    assert out.dtype == np.uint8 and out.shape == (24, 32, 3) == decoder_output_size(20, 28) + (3,)
    as_float = pipe.transfer(content.astype(np.float32) / 255, style.astype(np.float64) / 255, output="float")
    np.testing.assert_allclose(as_float, pipe.transfer(content, style, output="float"), rtol=1e-6, atol=1e-6)
    assert min_image_size() == 9
    assert pipe.transfer(content[:9, :9], style).shape == (16, 16, 3)


def test_alpha_zero_ignores_the_style(pipe, images):
    content, style0, style1 = images
    a = pipe.transfer(content, style0, alpha=0.0, output="float")
    b = pipe.transfer(content, style1, alpha=0.0, output="float")
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(pipe.transfer(content, style0, output="float"),
                           pipe.transfer(content, style1, output="float"))


def test_interpolation_weights_are_normalised(pipe, images):
    content, style0, style1 = images
    single = pipe.transfer(content, style0, output="float")
    np.testing.assert_allclose(pipe.transfer(content, [style0, style1], interpolation_weights=[3, 0],
                                             output="float"), single, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pipe.transfer(content, [style0, style1], interpolation_weights=[1, 1], output="float"),
                               pipe.transfer(content, [style0, style1], interpolation_weights=[0.5, 0.5],
                                             output="float"), rtol=1e-6, atol=1e-7)


def test_mask_is_masks_of_two(pipe, images):
    content, style0, style1 = images
    mask = ref.io()["mask"]
    a = pipe.transfer(content, [style0, style1], mask=mask, output="float")
    b = pipe.transfer(content, [style0, style1], masks=[mask > 0, mask == 0], output="float")
    np.testing.assert_array_equal(a, b)
    c = pipe.transfer(content, [style0, style1], mask=(mask > 0).astype(np.uint8), output="float")
    np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("make, pattern", [
    (lambda c: c[..., 0], "content image is grayscale"),
    (lambda c: c[..., :1], "content image is grayscale"),
    (lambda c: np.concatenate([c, c[..., :1]], axis=2), "content image has an alpha channel"),
    (lambda c: c[:8, :20], r"content image is 8x20 pixels .* at least 9x9"),
    (lambda c: c.astype(np.int16), "must be uint8 or float"),
    (lambda c: c[None], r"must be an RGB image \[H, W, 3\]"),
])
def test_bad_content_images(pipe, images, make, pattern):
    content, style, _ = images
    with pytest.raises(ValueError, match=pattern):
        pipe.transfer(make(content), style)


@pytest.mark.parametrize("kwargs, styles, pattern", [
    ({"alpha": 1.5}, 1, "alpha must be between 0 and 1"),
    ({}, 2, "give interpolation_weights .* or masks"),
    ({"interpolation_weights": [1, 2, 3]}, 2, "3 interpolation weights for 2 styles"),
    ({"interpolation_weights": [1, -1]}, 2, "non-negative with a positive sum"),
    ({"mask": "small"}, 2, r"mask is 10x28 \(HxW\) but the content image is 20x28"),
    ({"mask": "gray"}, 2, r"mask must be binary \(0/1 or 0/255\), found values \[0, 7"),
    ({"mask": "ok"}, 3, "mask takes two styles"),
    ({"mask": "ok", "interpolation_weights": [1, 1]}, 2, "cannot be combined"),
    ({"masks": ["ok"]}, 2, "1 masks for 2 styles"),
    ({"masks": ["ok", "ok"]}, 2, "exactly once"),
    ({"mask": "full"}, 2, "mask region 1 covers 0"),
    ({"output": "png"}, 1, "output must be one of"),
])
def test_bad_options(pipe, images, kwargs, styles, pattern):
    content, style0, style1 = images
    masks = {"ok": ref.io()["mask"], "small": ref.io()["mask"][:10], "full": np.ones((20, 28), np.uint8),
             "gray": np.where(ref.io()["mask"] > 0, 7, 0).astype(np.uint8)}
    kwargs = {k: (masks[v] if k == "mask" else [masks[m] for m in v] if k == "masks" else v)
              for k, v in kwargs.items()}
    style = [style0, style1, style0][:styles] if styles > 1 else style0
    with pytest.raises(ValueError, match=pattern):
        pipe.transfer(content, style, **kwargs)


def test_preserve_color_needs_colour_variation(pipe, images):
    content, style, _ = images
    flat = np.full_like(style, 90)
    with pytest.raises(ValueError, match="style image has a constant colour channel"):
        pipe.transfer(content, flat, preserve_color=True)
    out = pipe.transfer(content, style, preserve_color=True, output="float")
    assert np.isfinite(out).all()


def test_fast_pad_and_upsample_are_paddles_own():
    import paddle.nn.functional as F
    from paddle_inade.adain.layers import NearestUpsample2x, ReflectionPad1
    x = paddle.to_tensor(np.random.RandomState(2).randn(2, 3, 5, 4).astype(np.float32))
    np.testing.assert_array_equal(ReflectionPad1()(x).numpy(), F.pad(x, [1, 1, 1, 1], mode="reflect").numpy())
    np.testing.assert_array_equal(NearestUpsample2x()(x).numpy(),
                                  F.interpolate(x, scale_factor=2, mode="nearest").numpy())
    with pytest.raises(ValueError, match="at least 2x2"):
        ReflectionPad1()(x[:, :, :1])


def test_static_pad_and_upsample_equal_the_eager_ones():
    from paddle_inade.adain.layers import NearestUpsample2x, ReflectionPad1
    from paddle_inade.adain.onednn import StaticReflectionPad1, StaticUpsample2x
    x = paddle.to_tensor(np.random.RandomState(3).randn(2, 3, 5, 4).astype(np.float32))
    np.testing.assert_array_equal(StaticReflectionPad1()(x).numpy(), ReflectionPad1()(x).numpy())
    np.testing.assert_array_equal(StaticUpsample2x()(x).numpy(), NearestUpsample2x()(x).numpy())


@pytest.mark.parametrize("size", [(9, 9), (37, 50), (64, 48)])
def test_onednn_path_equals_the_eager_networks_at_any_size(pipe, images, size):
    content = np.ascontiguousarray(images[0][:size[0], :size[1]])
    eager = AdaINPipeline(pipe.encoder, pipe.decoder, impl="reference")
    fast = AdaINPipeline(pipe.encoder, pipe.decoder, impl="onednn")
    want = eager.transfer(content, images[1], output="float")
    got = fast.transfer(content, images[1], output="float")
    assert got.shape == want.shape
    assert np.linalg.norm(got - want) <= 1e-5 * np.linalg.norm(want)


def test_onednn_path_follows_changed_weights(pipe, images):
    """The compiled copy is rebuilt when the networks' weights change, never run stale."""
    import copy
    decoder = copy.deepcopy(pipe.decoder)
    fast = AdaINPipeline(pipe.encoder, decoder, impl="onednn")
    before = fast.transfer(images[0], images[1], output="float")
    last_conv = decoder[len(decoder) - 1]
    last_conv.bias.set_value(last_conv.bias.numpy() + 0.25)
    after = fast.transfer(images[0], images[1], output="float")
    want = AdaINPipeline(pipe.encoder, decoder, impl="reference").transfer(images[0], images[1], output="float")
    np.testing.assert_allclose(after - before, 0.25, atol=1e-4)
    assert np.linalg.norm(after - want) <= 1e-5 * np.linalg.norm(want)


def test_impl_choice():
    from paddle_inade.nn.onednn_program import choose_impl, onednn_available
    assert choose_impl("reference", "cpu") == "reference"
    assert choose_impl("auto", "gpu:0") == "reference"
    assert choose_impl("auto", "cpu") == ("onednn" if onednn_available() else "reference")
    with pytest.raises(ValueError, match="impl='onednn' runs on the CPU"):
        choose_impl("onednn", "gpu:0")
    with pytest.raises(ValueError, match="impl must be one of"):
        AdaINPipeline(None, None, impl="fast")


def test_a_failing_onednn_path_falls_back_to_the_eager_one(pipe, images, monkeypatch, caplog):
    """impl='auto': the reference result and a warning, and eager from then on; impl='onednn': the error."""
    from paddle_inade.nn import onednn_program

    def broken(*args, **kwargs):
        raise NotImplementedError("an op the executor cannot run")
    monkeypatch.setattr(onednn_program.ProgramCache, "get", broken)
    want = AdaINPipeline(pipe.encoder, pipe.decoder, impl="reference").transfer(images[0], images[1])
    auto = AdaINPipeline(pipe.encoder, pipe.decoder)
    with caplog.at_level("WARNING"):
        got = auto.transfer(images[0], images[1])
    np.testing.assert_array_equal(got, want)
    assert auto.impl == "reference" and "oneDNN programs failed" in caplog.text
    with pytest.raises(NotImplementedError, match="cannot run"):
        AdaINPipeline(pipe.encoder, pipe.decoder, impl="onednn").transfer(images[0], images[1])
