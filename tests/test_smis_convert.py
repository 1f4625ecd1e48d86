"""SMIS checkpoints without torch: the released models' keys, strict loading, clear refusals."""
from __future__ import annotations

import json

import numpy as np
import paddle
import pytest

from conftest import FIXTURES
from paddle_inade.convert.convert import convert_checkpoint
from paddle_inade.convert.family import detect_family
from paddle_inade.weights import TorchState, WeightMismatchError, check_weights, load_torch_weights
from paddle_inade.families import family
from paddle_inade.smis import SMISConfig, build_discriminator, build_encoder, build_generator
from smis_reference import SMISReference

KEYS = json.loads((FIXTURES / "smis" / "released_smis_keys.json").read_text())
BUILD = {"G": build_generator, "E": build_encoder, "D": build_discriminator}


@pytest.mark.parametrize("name", ["deepfashion", "cityscapes", "ade20k"])
def test_released_checkpoint_keys_load_key_by_key(name):
    """Key lists recorded from SMIS's networks built with its scripts' options (real sizes)."""
    cfg = SMISConfig.preset(name)
    assert cfg.netG == KEYS[name]["options"]["netG"].lower() and cfg.ngf == KEYS[name]["options"]["ngf"]
    for net, build in BUILD.items():
        layer = build(cfg, init=False)
        state = {k: np.zeros(shape, dtype=np.int64 if dtype == "int64" else np.float32)
                 for k, (shape, dtype) in KEYS[name][net].items()}
        converted = check_weights(layer, TorchState(state), source=name)  # raises on any difference
        assert set(converted) == set(layer.state_dict()) and len(state) == len(layer.state_dict())
        if net in ("G", "E"):
            assert detect_family(state) == "smis"


def test_netG_spelling_as_smis_scripts():
    assert SMISConfig(netG="ADE20K", label_nc=150, contain_dontcare_label=True, no_instance=True,
                      crop_size=256).netG == "ade20k"
    assert SMISConfig.preset("cityscapes", netG="Cityscapes").layout == "cityscapes"
    with pytest.raises(ValueError, match="--netG 'spade'"):
        SMISConfig(netG="spade")


def test_convert_writes_pdparams_that_load(tmp_path):
    ref = SMISReference("ade20k_step")
    dst = tmp_path / "G.pdparams"
    n = convert_checkpoint(str(ref.dir / "G.pth"), str(dst), "G", ref.config(), family("smis").networks)
    state = paddle.load(str(dst))
    assert len(state) == n
    net = build_generator(ref.config(), init=False)
    net.set_state_dict(state)
    np.testing.assert_array_equal(net.state_dict()["head_0.conv_0.weight_orig"].numpy(),
                                  state["head_0.conv_0.weight_orig"].numpy())


def test_smis_checkpoint_for_inade_model_is_refused_with_the_reason(tmp_path):
    from paddle_inade import INADEConfig, build_generator as build_inade
    ref = SMISReference("ade20k_step")
    inade = build_inade(INADEConfig.preset("toy"), init=False)
    with pytest.raises(WeightMismatchError, match=r"GroupDNet \(SMIS, --model smis\) checkpoint"):
        load_torch_weights(inade, str(ref.dir / "G.pth"))
    dst = tmp_path / "out.pdparams"
    with pytest.raises(WeightMismatchError, match="--model smis"):
        convert_checkpoint(str(ref.dir / "G.pth"), str(dst), "G", INADEConfig.preset("toy"))
    assert not dst.exists() and not list(tmp_path.iterdir())


def test_inade_checkpoint_for_smis_model_is_refused_with_the_reason():
    smis = build_generator(SMISReference("ade20k_step").config(), init=False)
    with pytest.raises(WeightMismatchError, match=r"INADE / SPADE \(--model inade\) checkpoint"):
        load_torch_weights(smis, str(FIXTURES / "tiny_inade" / "G.pth"))


def test_wrong_width_lists_the_mismatched_keys():
    ref = SMISReference("ade20k_step")
    net = build_generator(ref.config().replace(ngf=2), init=False)
    with pytest.raises(WeightMismatchError, match=r"mis-shaped: G_middle_0.conv_0.weight_orig \(file \[32, 4, 3, 3\], network \[64, 4, 3, 3\]\)"):
        load_torch_weights(net, str(ref.dir / "G.pth"))


def test_group_count_that_does_not_divide_is_a_clear_error():
    with pytest.raises(ValueError, match=r"--netG cityscapes with --ngf 100.*not divisible by 35.*"
                                         r"--ngf values that fit: 70, 140"):
        SMISConfig.preset("cityscapes", ngf=100)
    with pytest.raises(ValueError, match=r"--nef must be a multiple of semantic_nc 6"):
        SMISConfig.preset("toy", nef=25)
    with pytest.raises(ValueError, match=r"up_3.conv_0 would have 0 groups. no --ngf fits"):
        SMISConfig(netG="deepfashion", label_nc=4, no_instance=True, crop_size=256)


def test_options_smis_cannot_run_are_refused():
    with pytest.raises(ValueError, match="cannot run with --no_instance"):
        SMISConfig.preset("cityscapes", no_instance=True)
    with pytest.raises(ValueError, match="needs use_vae"):
        SMISConfig.preset("ade20k", use_vae=False)
    with pytest.raises(ValueError, match="no working 'most' variant"):
        SMISConfig.preset("ade20k", num_upsampling_layers="most", crop_size=512)
    with pytest.raises(ValueError, match="--netE 'fc'"):
        SMISConfig.preset("ade20k", netE="fc")


def test_convert_weights_tool_with_model_smis(tmp_path):
    import subprocess
    import sys
    from conftest import ROOT
    src = str(FIXTURES / "smis" / "ade20k_step" / "G.pth")
    args = ["--src", src, "--net", "G", "--netG", "ADE20K", "--label_nc", "3", "--contain_dontcare_label",
            "--no_instance", "--ngf", "1", "--nef", "8", "--crop_size", "256"]
    tool = str(ROOT / "tools" / "convert_weights.py")
    ok = subprocess.run([sys.executable, tool, "--model", "smis", "--dst", str(tmp_path / "G.pdparams"), *args],
                        capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert len(paddle.load(str(tmp_path / "G.pdparams"))) == 284
    bad = subprocess.run([sys.executable, tool, "--src", src, "--net", "G", "--preset", "toy",
                          "--dst", str(tmp_path / "X.pdparams")], capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "--model smis" in bad.stderr and not (tmp_path / "X.pdparams").exists()
