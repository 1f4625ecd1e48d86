"""INADEConfig: names, defaults, presets and clear errors."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from paddle_inade import INADEConfig

FIXTURES = Path(__file__).parent / "fixtures"


def test_semantic_nc_is_derived():
    cfg = INADEConfig(label_nc=150, contain_dontcare_label=True, norm_mode="inade")
    assert cfg.label_channels == 151 and cfg.semantic_nc == 152
    assert INADEConfig(label_nc=35, no_instance=True).semantic_nc == 35


def test_unknown_option_is_an_error():
    with pytest.raises(ValueError, match=r"my.yaml: unknown INADEConfig option\(s\) \['lable_nc'\]"):
        INADEConfig.from_dict({"lable_nc": 3}, source="my.yaml")


@pytest.mark.parametrize("option,value,pattern", [
    ("norm_mode", "adain", "--norm_mode 'adain' is not one of"),
    ("num_upsampling_layers", "many", "--num_upsampling_layers"),
    ("norm_G", "spectralbatch", "--norm_G 'spectralbatch' is not a SPADE norm string"),
    ("norm_D", "spectralgroup", "--norm_D 'spectralgroup' is not a norm string"),
    ("crop_size", 16, "latent size"),
])
def test_bad_options_name_the_option(option, value, pattern):
    with pytest.raises(ValueError, match=pattern):
        INADEConfig(**{option: value})


def test_inade_without_instances_is_refused():
    with pytest.raises(ValueError, match="no_instance"):
        INADEConfig(norm_mode="inade", no_instance=True)


def test_presets_match_the_released_checkpoints_options():
    released = json.loads((FIXTURES / "released_checkpoint_keys.json").read_text())
    for name, entry in released.items():
        options = entry["options"]
        options = options if isinstance(options, dict) else ast.literal_eval(options)
        preset = INADEConfig.preset(name.replace("_sketch", ""))
        for key, value in options.items():
            if key in ("add_sketch", "semantic_nc"):
                continue
            assert getattr(preset, key) == value, (name, key)
        assert preset.semantic_nc == options["semantic_nc"]


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown preset 'imagenet'"):
        INADEConfig.preset("imagenet")


def test_round_trip_through_dict():
    cfg = INADEConfig.preset("cityscapes")
    assert INADEConfig.from_dict(json.loads(cfg.to_json())) == cfg
