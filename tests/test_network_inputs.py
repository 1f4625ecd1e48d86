"""Bad inputs to the networks raise ValueError naming expected and actual shapes."""
from __future__ import annotations

import paddle
import pytest

from paddle_inade import INADEConfig, build_encoder, build_generator, preprocess_input

CFG = INADEConfig(norm_mode="inade", use_vae=True, label_nc=3, crop_size=32, ngf=2, z_dim=8,
                  noise_nc=2, norm_G="spectralspadebatch3x3")


@pytest.fixture(scope="module")
def G():
    net = build_generator(CFG)
    net.eval()
    return net


def test_label_channels_must_match(G):
    with pytest.raises(ValueError, match=r"semantic_nc=4.*got \[1, 5, 32, 32\]"):
        G(paddle.zeros([1, 5, 32, 32]), input_instances=paddle.zeros([1, 2, 32, 32]))


def test_instance_map_size_must_match(G):
    with pytest.raises(ValueError, match=r"label map's size \[32, 32\], got \[1, 2, 16, 16\]"):
        G(paddle.zeros([1, 4, 32, 32]), input_instances=paddle.zeros([1, 2, 16, 16]))


def test_noise_shape_must_match(G):
    with pytest.raises(ValueError, match=r"noise must have shape \[1, 2, 2, 2\], got \[1, 3, 2, 2\]"):
        G(paddle.zeros([1, 4, 32, 32]), input_instances=paddle.zeros([1, 2, 32, 32]),
          noise=paddle.zeros([1, 3, 2, 2]))
    with pytest.raises(ValueError, match=r"noise_ins must have shape \[1, 8\], got \[1, 7\]"):
        G(paddle.zeros([1, 4, 32, 32]), input_instances=paddle.zeros([1, 2, 32, 32]),
          noise_ins=paddle.zeros([1, 7]))


def test_encoder_instance_map_size_must_match():
    E = build_encoder(CFG)
    with pytest.raises(ValueError, match=r"input_instances must be \[N=1, K, 32, 32\].*got \[1, 2, 16, 16\]"):
        E(paddle.zeros([1, 3, 32, 32]), paddle.zeros([1, 2, 16, 16]))


def test_preprocess_rejects_out_of_range_labels_and_mismatched_instance_map():
    label = paddle.full([1, 1, 8, 8], 3, dtype="int64")  # label_nc 3 without dontcare: max 2
    with pytest.raises(ValueError, match=r"label values must be in \[0, 2\], got \[3, 3\]"):
        preprocess_input({"label": label, "instance": paddle.zeros([1, 1, 8, 8], "int64")}, CFG)
    with pytest.raises(ValueError, match=r"instance map \[1, 1, 4, 4\] must have the label map's shape"):
        preprocess_input({"label": paddle.zeros([1, 1, 8, 8], "int64"),
                          "instance": paddle.zeros([1, 1, 4, 4], "int64")}, CFG)


def test_generation_without_noise_is_seeded(G):
    sem = paddle.concat([paddle.ones([1, 1, 32, 32]), paddle.zeros([1, 3, 32, 32])], 1)
    inst = paddle.ones([1, 1, 32, 32])
    paddle.seed(7)
    a = G(sem, input_instances=inst).numpy()
    paddle.seed(7)
    b = G(sem, input_instances=inst).numpy()
    paddle.seed(8)
    c = G(sem, input_instances=inst).numpy()
    assert (a == b).all() and not (a == c).all()
