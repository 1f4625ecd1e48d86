"""Bad inputs: every error names the file (or folder and option) at fault."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from paddle_inade.data import DataConfig, create_dataset
from test_data_layouts import H, W, blocks, png, write_ade20k, write_cityscapes, write_coco, write_custom


def test_missing_folders_name_the_folder_and_option(tmp_path):
    cfg = write_custom(tmp_path)
    for option in ("label_dir", "image_dir", "instance_dir"):
        bad = DataConfig.from_dict({**cfg.__dict__, option: str(tmp_path / "nowhere")})
        with pytest.raises(FileNotFoundError, match=rf"nowhere: no such folder \(from --{option}\)"):
            create_dataset(bad)
    with pytest.raises(FileNotFoundError, match=r"--label_dir is empty"):
        create_dataset(DataConfig(dataset_mode="custom"))
    with pytest.raises(FileNotFoundError, match=r"nowhere/annotations/training: no such folder \(from --dataroot\)"):
        create_dataset(DataConfig.for_dataset("ade20k", dataroot=str(tmp_path / "nowhere")))


def test_deepfashion_masks_without_labels_point_to_make_instances(tmp_path):
    png(tmp_path / "df" / "train_mask" / "a.png", np.zeros((H, W, 3), np.uint8))
    with pytest.raises(FileNotFoundError, match=r"train_label: no such folder .*make_instances.py --path .*df "
                                                r"--dataset deepfashion"):
        create_dataset(DataConfig.for_dataset("deepfashion", dataroot=str(tmp_path / "df")))


def test_layouts_with_real_instance_maps_need_them(tmp_path):
    coco = write_coco(tmp_path / "coco")
    shutil.rmtree(coco / "train_inst")
    with pytest.raises(FileNotFoundError, match=r"train_inst: no such folder \(from --dataroot\).*no_instance"):
        create_dataset(DataConfig.for_dataset("coco", dataroot=str(coco)))
    assert create_dataset(DataConfig.for_dataset("coco", dataroot=str(coco), no_instance=True))[0]["num_instances"] == 4
    city = write_cityscapes(tmp_path / "cityscapes")
    os.remove(next((city / "gtFine" / "train" / "aachen").glob("*_instanceIds.png")))
    with pytest.raises(FileNotFoundError, match=r"gtFine/train: no \*_instanceIds.png"):
        create_dataset(DataConfig.for_dataset("cityscapes", dataroot=str(city)))


def test_label_without_photo_names_label_and_folder(tmp_path):
    root = write_ade20k(tmp_path / "ade")
    os.remove(root / "images" / "training" / "ADE_train_00000001.jpg")
    with pytest.raises(ValueError, match=r"ADE_train_00000001.png: no image named like it "
                                         r"\('ADE_train_00000001'\) in .*images/training"):
        create_dataset(DataConfig.for_dataset("ade20k", dataroot=str(root)))


def test_label_without_instance_map_or_sketch(tmp_path):
    cfg = write_custom(tmp_path)
    os.remove(tmp_path / "inst" / "s2.png")
    with pytest.raises(ValueError, match=r"s2.png: no instance map named like it \('s2'\) in .*inst"):
        create_dataset(cfg)
    cfg = write_custom(tmp_path, add_sketch=True)
    os.remove(tmp_path / "sketch" / "s1.png")
    with pytest.raises(ValueError, match=r"s1.png: no sketch named like it \('s1'\) in .*sketch"):
        create_dataset(cfg)


def test_two_files_with_one_name_are_ambiguous(tmp_path):
    cfg = write_custom(tmp_path)
    png(tmp_path / "img" / "s1.jpg", np.zeros((H, W, 3), np.uint8))
    with pytest.raises(ValueError, match=r"img: .*s1.(png|jpg) and .*s1.(png|jpg) both pair with name 's1'"):
        create_dataset(cfg)


def test_no_pairing_check_needs_equal_counts(tmp_path):
    cfg = write_custom(tmp_path, no_pairing_check=True)
    os.remove(tmp_path / "img" / "s2.png")
    with pytest.raises(ValueError, match=r"3 label maps but 2 images in .*img"):
        create_dataset(cfg)


@pytest.mark.parametrize("damage", ["truncate_jpeg", "truncate_png", "garbage", "empty"])
def test_unreadable_or_truncated_files_are_named(tmp_path, damage):
    cfg = write_custom(tmp_path)
    target = tmp_path / "img" / "s1.png"
    if damage == "truncate_jpeg":
        os.remove(target)
        png(tmp_path / "img" / "s1.jpg", np.random.RandomState(0).randint(0, 255, (H, W, 3)).astype(np.uint8))
        target = tmp_path / "img" / "s1.jpg"
        target.write_bytes(target.read_bytes()[:-300])
    elif damage == "truncate_png":
        target.write_bytes(target.read_bytes()[:-20])
    elif damage == "garbage":
        target.write_bytes(b"this is not an image" * 10)
    else:
        target.write_bytes(b"")
    ds = create_dataset(cfg)
    ds[0]  # the others still load
    with pytest.raises(ValueError, match=rf"{target.name}: (truncated|not a readable image)"):
        ds[1]


def test_unreadable_label_and_instance_maps_are_named(tmp_path):
    cfg = write_custom(tmp_path)
    (tmp_path / "labels" / "s0.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    (tmp_path / "inst" / "s1.png").write_bytes(b"junk")
    ds = create_dataset(cfg)
    with pytest.raises(ValueError, match=r"labels/s0.png: "):
        ds[0]
    with pytest.raises(ValueError, match=r"inst/s1.png: not a readable image"):
        ds[1]


def test_size_mismatches_name_both_files_and_sizes(tmp_path):
    cfg = write_custom(tmp_path, add_sketch=True)
    png(tmp_path / "img" / "s0.png", np.zeros((10, 12, 3), np.uint8))
    png(tmp_path / "inst" / "s1.png", np.zeros((24, 30), np.uint8))
    png(tmp_path / "sketch" / "s2.png", np.zeros((20, 32), np.uint8))
    ds = create_dataset(cfg)
    with pytest.raises(ValueError, match=r"labels/s0.png is 32x24 but .*img/s0.png is 12x10"):
        ds[0]
    with pytest.raises(ValueError, match=r"inst/s1.png is 30x24 but .*labels/s1.png is 32x24"):
        ds[1]
    with pytest.raises(ValueError, match=r"sketch/s2.png is 32x20 but .*labels/s2.png is 32x24"):
        ds[2]


def test_label_values_out_of_range(tmp_path):
    cfg = write_custom(tmp_path)
    png(tmp_path / "labels" / "s1.png", blocks([[0, 9], [3, 12]]))
    with pytest.raises(ValueError, match=r"labels/s1.png: label value\(s\) \[9, 12\] >= label_nc 4"):
        create_dataset(cfg)[1]


def test_255_is_dontcare_only_with_contain_dontcare_label(tmp_path):
    cfg = write_custom(tmp_path)
    png(tmp_path / "labels" / "s0.png", blocks([[255, 1], [2, 3]]))
    with pytest.raises(ValueError, match=r"s0.png: label value\(s\) \[255\] >= label_nc 4 "
                                         r"\(255 is dontcare: set contain_dontcare_label\)"):
        create_dataset(cfg)[0]
    cfg.contain_dontcare_label = True
    s = create_dataset(cfg)[0]
    assert s["label"][0, 0, 0] == 4 and s["label"].max() == 4  # dontcare -> label_nc
    png(tmp_path / "labels" / "s0.png", blocks([[254, 1], [2, 3]]))
    with pytest.raises(ValueError, match=r"s0.png: label value\(s\) \[254\] >= label_nc 4"):
        create_dataset(cfg)[0]


def test_ade20k_label_out_of_range_shows_the_shift(tmp_path):
    root = write_ade20k(tmp_path / "ade", n=1)
    png(root / "annotations" / "training" / "ADE_train_00000000.png", blocks([[0, 152], [1, 2]]))
    with pytest.raises(ValueError, match=r"ADE_train_00000000.png: label value\(s\) \[152\] \(class \[151\]\) "
                                         r">= label_nc 150"):
        create_dataset(DataConfig.for_dataset("ade20k", dataroot=str(root)))[0]


def test_colour_label_maps_are_refused_palette_labels_read(tmp_path):
    cfg = write_custom(tmp_path)
    colour = np.zeros((H, W, 3), np.uint8)
    colour[:, :8] = (0, 0, 128)
    png(tmp_path / "labels" / "s0.png", colour)
    with pytest.raises(ValueError, match=r"s0.png: label maps must hold one class id per pixel"):
        create_dataset(cfg)[0]
    palette = Image.fromarray(blocks([[0, 1], [2, 3]]), mode="P")
    palette.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9] + [0] * 756)
    palette.save(tmp_path / "labels" / "s1.png")
    s = create_dataset(cfg)[1]
    assert set(np.unique(s["label"])) == {0, 1, 2, 3}  # palette indices, not colours


def test_exif_orientation_is_ignored_like_pil(tmp_path):
    cfg = write_custom(tmp_path)
    os.remove(tmp_path / "img" / "s0.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90": OpenCV would turn the 32x24 photo into 24x32 by default
    Image.fromarray(np.full((H, W, 3), 60, np.uint8)).save(tmp_path / "img" / "s0.jpg", exif=exif)
    assert create_dataset(cfg)[0]["image"].shape == (3, 32, 32)


def test_custom_add_sketch_needs_sketch_dir(tmp_path):
    cfg = write_custom(tmp_path, add_sketch=True, sketch_dir="")
    with pytest.raises(ValueError, match="add_sketch .* needs --sketch_dir"):
        create_dataset(cfg)
