"""The released AdaIN files' layouts (recorded from the original's net.vgg / net.decoder) load
key by key into ours; mismatching weights are refused with every bad key named."""
from __future__ import annotations

import numpy as np
import paddle
import pytest

import adain_reference as ref
from paddle_inade.adain import AdaINPipeline, Decoder, VGGEncoder, load_decoder_weights, load_encoder_weights
from paddle_inade.adain.decoder import decoder_shapes
from paddle_inade.adain.vgg import vgg_normalised_shapes
from paddle_inade.weights import WeightMismatchError

LAYOUTS = ref.released_layouts()


def _marked(layout, own: set) -> dict:
    """Each own key filled with its position (so a key landing elsewhere is seen); the others
    zero-stride arrays of their shape (the whole VGG would be 80 MB)."""
    return {k: (np.full(shape, i, np.float32) if k in own else np.broadcast_to(np.float32(0), shape))
            for i, (k, shape) in enumerate(layout)}


def test_our_layouts_are_the_released_ones():
    assert [[k, v] for k, v in vgg_normalised_shapes().items()] == LAYOUTS["vgg_normalised.pth"]
    assert [[k, v] for k, v in decoder_shapes().items()] == LAYOUTS["decoder.pth"]
    assert list(VGGEncoder().state_dict()) == [k for k, _ in LAYOUTS["vgg_normalised.pth"][:ref.ENCODER_KEYS]]
    assert list(Decoder().state_dict()) == [k for k, _ in LAYOUTS["decoder.pth"]]


def test_released_vgg_layout_loads_key_by_key():
    encoder = VGGEncoder()
    own = set(encoder.state_dict())
    load_encoder_weights(encoder, _marked(LAYOUTS["vgg_normalised.pth"], own))
    for i, (key, _) in enumerate(LAYOUTS["vgg_normalised.pth"]):
        if key in own:
            assert (encoder.state_dict()[key].numpy() == i).all(), key
    full = VGGEncoder(n_layers=53)  # the whole network too
    load_encoder_weights(full, _marked(LAYOUTS["vgg_normalised.pth"], set(full.state_dict())))
    assert (full.state_dict()["51.bias"].numpy() == len(LAYOUTS["vgg_normalised.pth"]) - 1).all()


def test_released_decoder_layout_loads_key_by_key():
    decoder = Decoder()
    load_decoder_weights(decoder, _marked(LAYOUTS["decoder.pth"], set(decoder.state_dict())))
    for i, (key, _) in enumerate(LAYOUTS["decoder.pth"]):
        assert (decoder.state_dict()[key].numpy() == i).all(), key


def test_mismatching_vgg_is_refused_naming_keys_and_nothing_loads():
    encoder = VGGEncoder()
    before = {k: v.numpy().copy() for k, v in encoder.state_dict().items()}
    state = _marked(LAYOUTS["vgg_normalised.pth"], set(before))
    del state["5.bias"]
    state["2.weight"] = np.zeros((64, 3, 5, 5), np.float32)
    state["99.weight"] = np.zeros(3, np.float32)
    with pytest.raises(WeightMismatchError) as info:
        load_encoder_weights(encoder, state)
    message = str(info.value)
    assert "missing: 5.bias" in message and "99.weight" in message and "2.weight (file [64, 3, 5, 5]" in message
    assert all(np.array_equal(v.numpy(), before[k]) for k, v in encoder.state_dict().items())


def test_decoder_file_given_as_vgg_and_truncated_vgg(tmp_path):
    vgg, decoder = ref.write_weights(tmp_path)
    with pytest.raises(WeightMismatchError, match=r"decoder.pth does not fit the normalised VGG"):
        AdaINPipeline.from_pretrained(vgg=decoder, decoder=decoder)
    with pytest.raises(WeightMismatchError, match=r"vgg_normalised.pth does not fit the AdaIN decoder"):
        AdaINPipeline.from_pretrained(vgg=vgg, decoder=vgg)
    partial = {k: v for k, v in ref.vgg_state().items() if k not in ("29.weight", "29.bias")}
    with pytest.raises(WeightMismatchError, match=r"2 missing: 29.weight, 29.bias"):
        load_encoder_weights(VGGEncoder(), partial)
    with pytest.raises(FileNotFoundError, match=r"nope.pth: no such file \(from --vgg\).*releases"):
        AdaINPipeline.from_pretrained(vgg=tmp_path / "nope.pth", decoder=decoder)


def test_legacy_format_files_give_the_same_outputs(tmp_path):
    """The 2018 release is in torch's pre-1.6 format: the same weights in either format load alike."""
    io = ref.io()
    (tmp_path / "zip").mkdir()
    vgg, decoder = ref.write_weights(tmp_path / "zip")
    zip_pipe = AdaINPipeline.from_pretrained(vgg=vgg, decoder=decoder)
    (tmp_path / "legacy").mkdir()
    vgg, decoder = ref.write_weights(tmp_path / "legacy", legacy=True)
    legacy_pipe = AdaINPipeline.from_pretrained(vgg=vgg, decoder=decoder)
    a = zip_pipe.transfer(io["content"], io["style0"], output="float")
    b = legacy_pipe.transfer(io["content"], io["style0"], output="float")
    np.testing.assert_array_equal(a, b)


def test_save_pretrained_round_trip(tmp_path):
    io = ref.io()
    vgg, decoder = ref.write_weights(tmp_path)
    pipe = AdaINPipeline.from_pretrained(vgg=vgg, decoder=decoder)
    pipe.save_pretrained(tmp_path / "saved")
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == ["decoder.pdparams", "pipeline.json",
                                                                       "vgg_normalised.pdparams"]
    again = AdaINPipeline.from_pretrained(tmp_path / "saved")
    np.testing.assert_array_equal(pipe.transfer(io["content"], io["style0"], output="float"),
                                  again.transfer(io["content"], io["style0"], output="float"))
    mixed = AdaINPipeline.from_pretrained(tmp_path / "saved", decoder=decoder)  # override one file
    assert np.array_equal(mixed.decoder.state_dict()["1.weight"].numpy(), ref.decoder_state()["1.weight"])
    with pytest.raises(FileNotFoundError, match="no such folder"):
        AdaINPipeline.from_pretrained(tmp_path / "absent")
    with pytest.raises(ValueError, match="needs the VGG and the decoder"):
        AdaINPipeline.from_pretrained(vgg=vgg)
    assert paddle.get_device() == "cpu"
