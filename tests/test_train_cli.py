"""tools/train.py end to end: the default run, and bad input refused before any work."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from conftest import ROOT
from paddle_inade.training_cli import parse

TRAIN = str(ROOT / "tools" / "train.py")


def _train(args, tmp_path, timeout=600):
    env = {**os.environ, "PADDLE_INADE_CACHE": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, TRAIN, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=tmp_path)


def test_default_run_trains_the_toy_preset(tmp_path):
    proc = _train(["--max_steps", "2", "--checkpoints_dir", str(tmp_path / "ck")], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    exp = tmp_path / "ck" / "toy_inade"
    for name in ("latest_net_G.pdparams", "latest_net_D.pdparams", "latest_net_E.pdparams",
                 "latest_optim.pdopt", "latest_trainer.pdstate", "opt.yaml"):
        assert (exp / name).is_file(), name
    assert [f for f in os.listdir(exp / "vdl") if f.startswith("vdlrecords")]
    assert os.listdir(exp / "samples")
    assert "visualdl --logdir" in proc.stdout
    # the run ends with the quality numbers it logged last (the toy preset measures at the end)
    closing = proc.stdout[proc.stdout.index("quality at step 2"):]
    assert "colour distance" in closing and "restyle error / unrelated sample" in closing
    saved = yaml.safe_load((exp / "opt.yaml").read_text())
    assert saved["model"]["norm_mode"] == "inade" and saved["data"]["dataset_mode"] == "toy"
    again = _train(["--max_steps", "2", "--checkpoints_dir", str(tmp_path / "ck")], tmp_path)
    assert again.returncode == 2 and "already holds checkpoints" in again.stderr


def test_unknown_option_is_refused_in_one_line_with_a_suggestion(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(["--lable_nc", "3"])
    assert exit_info.value.code == 2
    assert "error: unknown option --lable_nc (did you mean --label_nc?); see --help" in capsys.readouterr().err
    proc = _train(["--nitre", "3"], tmp_path)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1] == \
        "train.py: error: unknown option --nitre (did you mean --niter?); see --help"
    assert "usage:" not in proc.stderr
    assert not (tmp_path / "checkpoints").exists()


def test_help_shows_the_values_in_force_and_says_what_they_do(capsys):
    from paddle_inade.option_help import HELP
    from paddle_inade.option_parser import field_types
    from paddle_inade.saved_options import option_groups
    names = {n for model in ("inade", "smis") for cls in option_groups(model).values() for n in field_types(cls)}
    assert set(HELP) <= names, sorted(set(HELP) - names)  # no help for an option that does not exist
    with pytest.raises(SystemExit):
        parse(["-h"])
    out = " ".join(capsys.readouterr().out.split())
    assert "With no --dataset_mode, --preset or --config the toy preset runs" in out
    assert "--name NAME run name: checkpoints, samples and logs go to checkpoints_dir/name (toy run toy_inade, default label2coco)" in out
    assert "--niter NITER epochs at the initial learning rate (toy run 7, default 50)" in out
    assert "(toy run 1000.0, default 0.0)" in out and "--beta1 BETA1 (default 0.0)" in out


def test_a_flag_alone_is_on_and_false_turns_off_what_the_preset_set(capsys):
    assert parse(["--max_steps", "1"])[2].no_TTUR is True  # the toy preset's
    assert parse(["--no_TTUR", "false", "--max_steps", "1"])[2].no_TTUR is False
    model, _, train, _ = parse(["--preset", "ade20k", "--no_TTUR", "--no_vgg_loss", "--dataroot", "x"])
    assert train.no_TTUR is True and model.no_vgg_loss is True  # the original's store_true spelling
    assert parse(["--preset", "ade20k", "--dataroot", "x"])[2].no_TTUR is False
    with pytest.raises(SystemExit):
        parse(["--no_TTUR", "maybe"])
    assert "argument --no_TTUR: expected true or false, got 'maybe'" in capsys.readouterr().err


def test_continue_without_checkpoint(tmp_path):
    proc = _train(["--continue_train", "--checkpoints_dir", str(tmp_path / "none")], tmp_path)
    assert proc.returncode == 2 and "no checkpoint to resume" in proc.stderr


def test_continue_with_other_model_options(tmp_path):
    first = _train(["--max_steps", "1", "--checkpoints_dir", str(tmp_path / "ck")], tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    before = (tmp_path / "ck" / "toy_inade" / "latest_net_G.pdparams").read_bytes()
    proc = _train(["--continue_train", "--ngf", "4", "--checkpoints_dir", str(tmp_path / "ck")], tmp_path)
    assert proc.returncode == 2 and "ngf: saved 16, given 4" in proc.stderr
    assert (tmp_path / "ck" / "toy_inade" / "latest_net_G.pdparams").read_bytes() == before


def test_dataset_not_matching_label_nc(tmp_path):
    proc = _train(["--label_nc", "4", "--checkpoints_dir", str(tmp_path / "ck")], tmp_path)
    assert proc.returncode == 2
    assert "label value" in proc.stderr or "toy scenes have 6 classes" in proc.stderr
    assert not (tmp_path / "ck" / "toy_inade" / "latest_net_G.pdparams").exists()


def test_config_file_and_precedence(tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump({"model": {"ngf": 4}, "train": {"batchSize": 2, "name": "fromfile"}}))
    model, data, train, _ = parse(["--preset", "toy", "--config", str(cfg), "--batchSize", "3"])
    assert model.ngf == 4 and train.name == "fromfile" and train.batchSize == 3
    assert model.label_nc == 6 and data.dataset_mode == "toy"
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {lable_nc: 3}\n")
    with pytest.raises(ValueError, match=r"--config .*bad.yaml: unknown option\(s\) \[.lable_nc.\]"):
        parse(["--config", str(bad)])


def test_amp_is_refused_on_cpu(tmp_path):
    proc = _train(["--use_amp", "--gpu_ids", "-1", "--max_steps", "1", "--checkpoints_dir", str(tmp_path / "ck")],
                  tmp_path)
    assert proc.returncode == 2 and "--use_amp needs a CUDA GPU" in proc.stderr


def test_vgg_weights_from_a_torchvision_file_and_clear_error_offline(tmp_path, monkeypatch):
    from paddle_inade.models import vgg as vgg_module
    from torch_format import write_torch_zip
    ref = vgg_module.VGG19()
    state = {k: v.numpy() for k, v in ref.state_dict().items()}
    state["classifier.0.weight"] = np.zeros((4, 4), np.float32)  # torchvision's file has more; ignored
    write_torch_zip(tmp_path / "vgg19.pth", state)
    loaded = vgg_module.load_vgg19(str(tmp_path / "vgg19.pth"))
    for k, v in loaded.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), state[k])

    def offline(*a, **k):
        raise OSError("network unreachable")

    import socket

    import paddle.utils.download as download
    monkeypatch.setattr(download, "WEIGHTS_HOME", str(tmp_path / "weights"))  # nothing cached
    monkeypatch.setattr(socket, "create_connection", offline)
    tried = []
    monkeypatch.setattr(download, "get_weights_path_from_url", lambda *a: tried.append(a))
    with pytest.raises(vgg_module.VGGWeightsUnavailable, match="network unreachable.*pass --vgg_weights FILE .* or --no_vgg_loss"):
        vgg_module.load_vgg19(None)
    assert not tried  # no download and no retries without a connection
    monkeypatch.setattr(download, "get_weights_path_from_url", offline)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: socket.socket())
    with pytest.raises(vgg_module.VGGWeightsUnavailable, match="network unreachable"):
        vgg_module.load_vgg19(None)


@pytest.mark.parametrize("signame,code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_saves_the_last_step_and_training_resumes_from_it(tmp_path, signame, code):
    """Ctrl-C (SIGINT) or SIGTERM mid-run: the step under way finishes, ``latest`` is saved, one
    line says how to resume, no traceback; --continue_train goes on from there."""
    import json
    import shutil
    import signal
    import time
    ck = tmp_path / "ck"
    env = {**os.environ, "PADDLE_INADE_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, TRAIN, "--max_steps", "300", "--quality_freq", "0", "--checkpoints_dir",
                             str(ck)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = ck / "toy_inade" / "samples" / "step_000001.png"  # written after the first step
    deadline = time.time() + 300
    while not first.exists():
        assert proc.poll() is None and time.time() < deadline, proc.communicate()[1][-2000:]
        time.sleep(0.2)
    proc.send_signal(getattr(signal, signame))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == code, err[-2000:]
    assert "Traceback" not in err and f"{signame}: stopped after step" in err
    assert f"--name toy_inade --checkpoints_dir {ck} --continue_train" in err
    state = json.loads((ck / "toy_inade" / "latest_trainer.pdstate").read_text())
    done = state["total_steps"]
    assert 1 <= done < 300
    again = _train(["--continue_train", "--checkpoints_dir", str(ck), "--max_steps", str(done + 1)], tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((ck / "toy_inade" / "latest_trainer.pdstate").read_text())["total_steps"] == done + 1
    # a run folder with no checkpoint saved yet: one line that says so
    empty = ck / "nothing_yet"
    empty.mkdir()
    shutil.copy(ck / "toy_inade" / "opt.yaml", empty / "opt.yaml")
    refused = _train(["--continue_train", "--checkpoints_dir", str(ck), "--name", "nothing_yet"], tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "no checkpoint 'latest' was saved in" in refused.stderr and "start without --continue_train" in refused.stderr


def test_quality_logging_is_refused_for_groupdnet_before_any_work(tmp_path):
    proc = _train(["--model", "smis", "--quality_freq", "2", "--max_steps", "2", "--checkpoints_dir",
                   str(tmp_path / "ck")], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "error: --quality_freq 2: the quality measure is INADE's" in proc.stderr
    assert "--quality_freq 0" in proc.stderr and not (tmp_path / "ck").exists()


def test_a_missing_dataset_folder_names_the_option_to_pass(tmp_path):
    proc = _train(["--dataset_mode", "ade20k", "--max_steps", "1"], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "ADEChallengeData2016/annotations/training: no such folder (from --dataroot); pass --dataroot DIR" \
        in proc.stderr


def test_every_tool_is_an_installed_command():
    """setup.py's console_scripts: paddle-inade-<tool> for every tools/<tool>.py, each its main."""
    import importlib.metadata
    import shutil
    from pathlib import Path
    tools = {p.stem for p in (Path(__file__).parents[1] / "tools").glob("*.py") if not p.stem.startswith("_")}
    eps = {ep.name: ep for ep in importlib.metadata.entry_points(group="console_scripts")
           if ep.value.startswith("paddle_inade_tools.")}
    assert set(eps) == {f"paddle-inade-{t.replace('_', '-')}" for t in tools}
    for ep in eps.values():
        main = ep.load()
        assert callable(main) and main.__name__ == "main", ep.value
    command = shutil.which("paddle-inade-eval-quality", path=str(Path(sys.executable).parent))
    assert command is not None
    proc = subprocess.run([command, "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "--name" in proc.stdout, proc.stderr[-2000:]
