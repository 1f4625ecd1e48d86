"""GroupDNet through the shared tools: training on the toy scenes, SMIS's test command on its
checkpoint folders (a .pth written as SMIS saves it), its DeepFashion tree, and bad input."""
from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import yaml

from conftest import ROOT
from paddle_inade.convert.family import detect_family
from paddle_inade.training_cli import parse
from smis_reference import SMISReference
from torch_format import write_torch_zip

TRAIN, TEST = str(ROOT / "tools" / "train.py"), str(ROOT / "tools" / "test.py")


def _run(tool, args, tmp_path, timeout=900):
    env = {**os.environ, "PADDLE_INADE_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, tool, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=tmp_path)


def test_train_options_for_smis():
    model, data, opts, _ = parse(["--model", "smis"])
    assert (model.model, model.netG, data.dataset_mode, opts.name) == ("smis", "ade20k", "toy", "toy_smis")
    model, data, opts, _ = parse(["--model", "smis", "--dataset_mode", "deepfashion", "--netG", "deepfashion",
                                  "--ngf", "160", "--no_instance", "--use_vae", "--netE", "conv",
                                  "--niter", "60", "--niter_decay", "40", "--batchSize", "8"])
    assert (model.semantic_nc, model.crop_size, data.label_nc, opts.niter) == (8, 256, 8, 60)
    from paddle_inade.data.setup import check_family
    from paddle_inade.smis import SMISConfig
    with pytest.raises(ValueError, match="--dataset_mode ade20k with --netG deepfashion"):
        check_family("ade20k", SMISConfig.preset("deepfashion"))
    check_family("toy", SMISConfig.preset("deepfashion"))


@pytest.fixture(scope="module")
def smis_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("smis_train")
    proc = _run(TRAIN, ["--model", "smis", "--max_steps", "2", "--checkpoints_dir", str(tmp / "ck")], tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return tmp


def test_toy_training_writes_a_resumable_run(smis_run):
    exp = smis_run / "ck" / "toy_smis"
    for name in ("latest_net_G.pdparams", "latest_net_D.pdparams", "latest_net_E.pdparams",
                 "latest_optim.pdopt", "latest_trainer.pdstate", "opt.yaml"):
        assert (exp / name).is_file(), name
    assert os.listdir(exp / "samples") and any(f.startswith("vdlrecords") for f in os.listdir(exp / "vdl"))
    saved = yaml.safe_load((exp / "opt.yaml").read_text())
    assert saved["train"]["model"] == "smis" and saved["model"]["netG"] == "ade20k"
    wrong = _run(TRAIN, ["--continue_train", "--name", "toy_smis", "--model", "inade",
                         "--checkpoints_dir", str(smis_run / "ck")], smis_run)
    assert wrong.returncode == 2 and "is a --model smis run" in wrong.stderr


def test_test_tool_on_the_run_and_test_mask(smis_run):
    res = smis_run / "res"
    proc = _run(TEST, ["--model", "smis", "--name", "toy_smis", "--checkpoints_dir", str(smis_run / "ck"),
                       "--results_dir", str(res), "--how_many", "2", "--test_mask", "1", "--test_times", "2"],
                smis_run)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = res / "toy_smis" / "test_latest"
    assert (out / "index.html").is_file()
    assert sorted(os.listdir(out / "images")) == ["input_label", "real_image", "synthesized_image",
                                                  "synthesized_image_1"]
    assert len(os.listdir(out / "images" / "synthesized_image_1")) == 2
    bad = _run(TEST, ["--model", "smis", "--name", "toy_smis", "--checkpoints_dir", str(smis_run / "ck"),
                      "--results_dir", str(smis_run / "res_bad"), "--test_mask", "6"], smis_run)
    assert bad.returncode == 2 and "--test_mask 6: the model has class codes 0..5" in bad.stderr
    assert not (smis_run / "res_bad").exists()


def test_inade_tools_refuse_the_smis_run_and_the_reverse(smis_run, tmp_path):
    g_file = smis_run / "ck" / "toy_smis" / "latest_net_G.pdparams"
    proc = _run(TEST, ["--checkpoint", str(g_file), "--preset", "toy", "--dataset_mode", "toy",
                       "--results_dir", str(tmp_path / "r")], smis_run)
    assert proc.returncode == 2 and "is a GroupDNet (SMIS, --model smis) checkpoint" in proc.stderr
    from paddle_inade.pipeline import INADEPipeline
    with pytest.raises(ValueError, match=r"a GroupDNet run \(--model smis\)"):
        INADEPipeline.from_checkpoint(smis_run / "ck" / "toy_smis", device="cpu")
    inade = tmp_path / "ck" / "toy_inade"
    inade.mkdir(parents=True)
    (inade / "opt.yaml").write_text(yaml.safe_dump({"model": {"norm_mode": "inade"}, "train": {"model": "inade"},
                                                    "data": {"dataset_mode": "toy"}}))
    (inade / "latest_net_G.pdparams").write_bytes(b"")
    proc = _run(TEST, ["--model", "smis", "--name", "toy_inade", "--checkpoints_dir", str(tmp_path / "ck"),
                       "--results_dir", str(tmp_path / "r")], tmp_path)
    assert proc.returncode == 2 and "an INADE / SPADE run (--model inade), not GroupDNet" in proc.stderr
    assert not (tmp_path / "r").exists()


def _smis_deepfashion_tree(root, n=2, size=256):
    rng = np.random.RandomState(0)
    for split in ("train", "test"):
        os.makedirs(root / f"cihp_{split}_mask")
        os.makedirs(root / split)
        for i in range(n):
            label = np.kron(rng.randint(0, 8, (8, 8)), np.ones((size // 8, size // 8))).astype(np.uint8)
            cv2.imwrite(str(root / f"cihp_{split}_mask" / f"img_{i:03d}.png"), label)
            cv2.imwrite(str(root / split / f"img_{i:03d}.jpg"), rng.randint(0, 255, (size, size, 3)).astype(np.uint8))


def test_smis_script_command_on_a_smis_checkpoint_folder(tmp_path):
    """scripts/deepfashion.sh's test line (width of the fixture) on latest_net_G.pth + SMIS's tree."""
    ref = SMISReference("deepfashion_more")
    folder = tmp_path / "checkpoints" / "deepfashion_smis"
    folder.mkdir(parents=True)
    state = ref.torch_state("G")
    assert detect_family(state) == "smis"
    write_torch_zip(folder / "latest_net_G.pth", state)
    _smis_deepfashion_tree(tmp_path / "deepfashion")
    args = ["--name", "deepfashion_smis", "--dataset_mode", "deepfashion", "--dataroot",
            str(tmp_path / "deepfashion"), "--no_instance", "--gpu_ids", "1", "--ngf", "1", "--batchSize", "4",
            "--model", "smis", "--netG", "deepfashion"]
    proc = _run(TEST, args, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    images = tmp_path / "results" / "deepfashion_smis" / "test_latest" / "images"
    assert sorted(os.listdir(images)) == ["input_label", "real_image", "synthesized_image"]
    assert sorted(os.listdir(images / "synthesized_image")) == ["img_000.png", "img_001.png"]
    wrong = _run(TEST, args[:-1] + ["ade20k"], tmp_path)
    assert wrong.returncode == 2 and "--netG ade20k" in wrong.stderr


def test_training_data_with_more_classes_than_label_nc_is_refused(tmp_path, monkeypatch):
    from paddle_inade.data.setup import build_training_dataset
    monkeypatch.setenv("PADDLE_INADE_CACHE", os.environ.get("PADDLE_INADE_CACHE", str(tmp_path / "cache")))
    model, data, opts, _ = parse(["--model", "smis", "--label_nc", "4", "--checkpoints_dir", str(tmp_path / "ck")])
    with pytest.raises(ValueError, match=r"00000.png: label value\(s\) \[4, 5\] >= label_nc 4"):
        build_training_dataset(data, model)
    assert not (tmp_path / "ck").exists()
