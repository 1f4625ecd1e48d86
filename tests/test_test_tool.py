"""tools/test.py as a drop-in for the original's test.py: its options, its checkpoint folders.

Three kinds of folders: a run of this package (opt.yaml, covered in test_pipeline.py), a run of
the original's train.py (its opt.txt, made by its own option code: tests/fixtures/original_run,
and *_net_G.pth / *_net_E.pth in torch's format) and released checkpoints (no options file).
"""
from __future__ import annotations

import os
import shutil

import cv2
import numpy as np
import paddle
import pytest

from conftest import FIXTURES
from paddle_inade import INADEConfig, build_encoder, build_generator
from paddle_inade.pipeline import INADEPipeline
from paddle_inade.saved_options import read_saved_options
from test_pipeline import load_tool
from torch_format import torch_layout_state, write_torch_zip


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory):
    from paddle_inade.data.toy_scenes import write_toy_dataset
    return write_toy_dataset(str(tmp_path_factory.mktemp("toy") / "toy"), n_images=2, size=32, n_val=3)


@pytest.fixture(scope="module")
def test_tool():
    return load_tool("test")


def original_cfg() -> INADEConfig:
    return INADEConfig.from_dict(read_saved_options(FIXTURES / "original_run").model)


def write_original_weights(folder, epoch: str = "latest", seed: int = 3):
    """*_net_G.pth / *_net_E.pth as the original's torch.save writes them, for original_cfg()."""
    cfg = original_cfg()
    paddle.seed(seed)
    G, E = build_generator(cfg), build_encoder(cfg)
    os.makedirs(folder, exist_ok=True)
    write_torch_zip(os.path.join(folder, f"{epoch}_net_G.pth"), torch_layout_state(G))
    write_torch_zip(os.path.join(folder, f"{epoch}_net_E.pth"), torch_layout_state(E))
    return cfg


def original_run(root) -> str:
    """checkpoints/tiny_original: the original's opt.txt and latest_net_{G,E}.pth."""
    folder = os.path.join(root, "tiny_original")
    write_original_weights(folder)
    shutil.copy(FIXTURES / "original_run" / "opt.txt", os.path.join(folder, "opt.txt"))
    return folder


def toy_data_args(toy_root) -> list[str]:
    """The custom layout's folders (the opt.txt names folders of the machine it was trained on)."""
    return ["--label_dir", os.path.join(toy_root, "val_label"), "--image_dir", os.path.join(toy_root, "val_img"),
            "--instance_dir", os.path.join(toy_root, "val_inst")]


def read_rgb(path) -> np.ndarray:
    return cv2.imread(str(path))[..., ::-1]


def test_a_run_of_the_original_code_reads_its_opt_txt_and_pth_in_place(tmp_path, test_tool, toy_root):
    folder = original_run(tmp_path / "checkpoints")
    before = sorted(os.listdir(folder))
    argv = ["--name", "tiny_original", "--checkpoints_dir", str(tmp_path / "checkpoints"), "--gpu_ids", "-1",
            "--results_dir", str(tmp_path / "results")] + toy_data_args(toy_root)
    assert test_tool.main(argv) == 0
    assert sorted(os.listdir(folder)) == before  # read in place: nothing converted or written there
    out = tmp_path / "results" / "tiny_original" / "test_latest"
    assert (out / "index.html").is_file()
    assert sorted(os.listdir(out / "images" / "synthesized_image")) == ["00002.png", "00003.png", "00004.png"]
    # the images are what the pipeline makes with these weights (encoder on: use_vae in opt.txt)
    from paddle_inade.data import DataConfig, create_dataset
    data = create_dataset(DataConfig.for_dataset("custom", "test", label_nc=6, crop_size=32, load_size=32,
                                                 preprocess_mode="fixed", label_dir=os.path.join(toy_root, "val_label"),
                                                 image_dir=os.path.join(toy_root, "val_img"),
                                                 instance_dir=os.path.join(toy_root, "val_inst")))
    pipe = INADEPipeline.from_checkpoint(os.path.join(folder, "latest_net_G.pth"), config=original_cfg(),
                                         encoder=os.path.join(folder, "latest_net_E.pth"), device="cpu")
    for i in range(len(data)):
        sample = data[i]
        real = read_rgb(out / "images" / "real_image" / "0000{}.png".format(i + 2))
        want = pipe.generate(sample["label"][0], sample["instance"][0], seed=[i], image=real)[0, 0]
        np.testing.assert_array_equal(read_rgb(out / "images" / "synthesized_image" / f"0000{i + 2}.png"), want)


def test_batch_size_does_not_change_the_images(tmp_path, test_tool, toy_root):
    original_run(tmp_path / "checkpoints")
    common = ["--name", "tiny_original", "--checkpoints_dir", str(tmp_path / "checkpoints"), "--gpu_ids", "-1",
              "--n_samples", "2"] + toy_data_args(toy_root)
    assert test_tool.main(common + ["--results_dir", str(tmp_path / "one")]) == 0
    assert test_tool.main(common + ["--results_dir", str(tmp_path / "three"), "--batchSize", "3",
                                    "--nThreads", "2"]) == 0
    for sub in ("synthesized_image", "synthesized_image_1"):
        for name in ("00002.png", "00003.png", "00004.png"):
            a = read_rgb(tmp_path / "one" / "tiny_original" / "test_latest" / "images" / sub / name).astype(int)
            b = read_rgb(tmp_path / "three" / "tiny_original" / "test_latest" / "images" / sub / name).astype(int)
            assert np.abs(a - b).max() <= 1, (sub, name)  # float rounding of batched products at most


def test_released_checkpoints_without_options_take_the_original_defaults(tmp_path, test_tool, toy_root):
    """best_net_G.pth / best_net_E.pth alone: options from the command line, as the original builds them."""
    folder = tmp_path / "checkpoints" / "inade_toy"
    cfg = write_original_weights(folder, "best")
    argv = ["--name", "inade_toy", "--checkpoints_dir", str(tmp_path / "checkpoints"), "--norm_mode", "inade",
            "--batchSize", "1", "--gpu_ids", "-1", "--which_epoch", "best", "--dataset_mode", "custom", "--use_vae",
            "--label_nc", "6", "--crop_size", "32", "--load_size", "32", "--preprocess_mode", "fixed", "--ngf", "2",
            "--z_dim", "8", "--noise_nc", "4", "--norm_G", "spectralspadebatch3x3",
            "--results_dir", str(tmp_path / "results")] + toy_data_args(toy_root)
    assert test_tool.main(argv) == 0
    out = tmp_path / "results" / "inade_toy" / "test_best"
    assert len(os.listdir(out / "images" / "synthesized_image")) == 3
    assert sorted(os.listdir(folder)) == ["best_net_E.pth", "best_net_G.pth"]
    assert cfg.ngf == 2


@pytest.mark.parametrize("dataset", ["ade20k", "cityscapes", "celeba", "deepfashion"])
def test_the_original_readme_command_builds_the_released_models(dataset, test_tool, tmp_path):
    """python test.py --name inade_<dataset> --norm_mode inade --batchSize 1 --gpu_ids 0 --which_epoch best
    --dataset_mode <dataset> --dataroot DIR --use_vae: the options of the released checkpoints."""
    from paddle_inade.cli import model_config
    args = test_tool.parse_args(["--name", f"inade_{dataset}", "--norm_mode", "inade", "--batchSize", "1",
                                 "--gpu_ids", "0", "--which_epoch", "best", "--dataset_mode", dataset,
                                 "--dataroot", str(tmp_path), "--use_vae"])
    cfg = model_config(args, None, args.dataset_mode)
    released = INADEConfig.preset(dataset)
    assert cfg.replace(init_variance=released.init_variance) == released


def test_options_that_contradict_the_saved_ones_name_both(tmp_path, test_tool, toy_root, capsys):
    folder = original_run(tmp_path / "checkpoints")
    argv = ["--name", "tiny_original", "--checkpoints_dir", str(tmp_path / "checkpoints"), "--gpu_ids", "-1",
            "--results_dir", str(tmp_path / "results")] + toy_data_args(toy_root)
    assert test_tool.main(argv + ["--ngf", "4"]) == 2
    err = capsys.readouterr().err
    assert "--ngf 4 contradicts the run's" in err and "opt.txt (ngf: 2)" in err
    assert test_tool.main(argv + ["--preset", "ade20k"]) == 2
    assert "--preset ade20k: --label_nc 150 contradicts" in capsys.readouterr().err
    assert test_tool.main(argv + ["--label_nc", "6", "--norm_mode", "inade"]) == 0  # agreeing is fine
    assert not (tmp_path / "results" / "x").exists() and os.path.isdir(folder)


def test_a_pdparams_beside_the_pth_is_preferred_and_the_same(tmp_path, test_tool, toy_root):
    """The .pth read in place gives what the converted .pdparams gives."""
    from paddle_inade.convert.convert import convert_checkpoint
    folder = original_run(tmp_path / "checkpoints")
    argv = ["--name", "tiny_original", "--checkpoints_dir", str(tmp_path / "checkpoints"), "--gpu_ids", "-1"]
    argv += toy_data_args(toy_root)
    assert test_tool.main(argv + ["--results_dir", str(tmp_path / "pth")]) == 0
    for net in ("G", "E"):
        convert_checkpoint(os.path.join(folder, f"latest_net_{net}.pth"),
                           os.path.join(folder, f"latest_net_{net}.pdparams"), net, original_cfg())
    assert test_tool.main(argv + ["--results_dir", str(tmp_path / "pdparams")]) == 0
    for name in ("00002.png", "00004.png"):
        a = read_rgb(tmp_path / "pth" / "tiny_original" / "test_latest" / "images" / "synthesized_image" / name)
        b = read_rgb(tmp_path / "pdparams" / "tiny_original" / "test_latest" / "images" / "synthesized_image" / name)
        np.testing.assert_array_equal(a, b)


def test_help_shows_the_defaults(test_tool, capsys):
    with pytest.raises(SystemExit):
        test_tool.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for expected in ("--which_epoch WHICH_EPOCH <which_epoch>_net_G.pdparams or .pth (default: latest)",
                     "--results_dir RESULTS_DIR", "(default: ./results/)", "--how_many HOW_MANY",
                     "(default: inf)", "--batchSize BATCHSIZE", "--norm_mode NORM_MODE (default: saved, else 'spade')",
                     "--label_nc LABEL_NC (default: saved, else set by --dataset_mode)",
                     "--display_winsize DISPLAY_WINSIZE (default: 400; results are written at the generated size)"):
        assert expected in text, expected


def test_without_name_the_toy_run_is_read_or_its_absence_explained(tmp_path, test_tool, capsys):
    """tools/train.py and tools/app.py default to the toy run; tools/test.py reads the same one."""
    assert test_tool.parse_args([]).name == "toy_inade"
    assert test_tool.main(["--checkpoints_dir", str(tmp_path / "none"), "--gpu_ids", "-1"]) == 2
    err = capsys.readouterr().err
    assert "no run folder" in err and "toy_inade" in err and "python tools/train.py" in err
