"""The model-family table: look-ups, and its place above the engine (no import cycles)."""
from __future__ import annotations

import sys

import pytest
import yaml

from conftest import ROOT
from paddle_inade import INADEConfig
from paddle_inade.families import FAMILIES, GROUPDNET, INADE, family, family_of, family_of_test_args
from paddle_inade.smis import SMISConfig

sys.path.insert(0, str(ROOT / "benchmarks"))
import import_cycles  # noqa: E402


def test_lookups():
    assert family("inade") is family("pix2pix") is INADE and family("smis") is GROUPDNET
    assert (INADE.name, GROUPDNET.name) == ("inade", "smis")
    assert family_of(INADEConfig.preset("toy")) is INADE and family_of(SMISConfig.preset("toy")) is GROUPDNET
    with pytest.raises(ValueError, match=r"--model 'x' is not one of \['inade', 'pix2pix', 'smis'\]"):
        family("x")
    assert INADE.quality_logging and not GROUPDNET.quality_logging
    assert INADE.test_main is None and GROUPDNET.test_main is not None
    for fam in FAMILIES:
        assert "toy" in fam.run_presets and fam.config_class.preset("toy")


def test_the_test_tool_follows_model_then_the_saved_run(tmp_path):
    run = tmp_path / "ck" / "a_run"
    run.mkdir(parents=True)
    (run / "opt.yaml").write_text(yaml.safe_dump({"model": {"netG": "ade20k"}, "train": {"model": "smis"}}))
    where = ["--checkpoints_dir", str(tmp_path / "ck")]
    assert family_of_test_args(["--name", "a_run", *where]) is GROUPDNET
    assert family_of_test_args(["--name", "a_run", "--model", "pix2pix", *where]) is INADE
    assert family_of_test_args(["--name", "other", *where]) is INADE
    assert family_of_test_args(["--model", "spade_unknown"]) is INADE  # the INADE parser refuses it


def _graph(top_only: bool):
    names = import_cycles.module_names()
    return {m: import_cycles.imported(m, f, set(names), top_only) for m, f in names.items()}


def _reaches(graph, start: str, target: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return False


def test_the_registry_sits_above_the_engine_and_the_families():
    graph = _graph(top_only=False)
    below = [m for m in graph if m.startswith(("paddle_inade.engine", "paddle_inade.smis.model",
                                               "paddle_inade.smis.pipeline", "paddle_inade.pipeline"))]
    for module in below:
        assert not _reaches(graph, module, "paddle_inade.families"), module
    assert import_cycles.cycles(_graph(top_only=True)) == []
    family_modules = {m for m in graph if m.startswith(("paddle_inade.engine", "paddle_inade.smis"))
                      or "famil" in m}
    assert not [c for c in import_cycles.cycles(graph) if family_modules & set(c)]
