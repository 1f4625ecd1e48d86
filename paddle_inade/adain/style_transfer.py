"""``tools/style_transfer.py``: pytorch-AdaIN's ``test.py`` command line, run with AdaINPipeline.

Same options and defaults, same output names: ``<content>_stylized_<style><ext>`` for each
content/style pair, ``<content>_interpolation<ext>`` when several comma-separated styles are
mixed with ``--style_interpolation_weights``. Added: ``--mask FILE`` (the authors' Lua
``test.lua`` option: two comma-separated styles, the first where the mask is white, the
second elsewhere; output ``<content>_stylized_<style1>_<style2><ext>``). Every input is read
and checked, and the weights are loaded, before the output folder is created; each output
file appears only when completely written.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..data.image_io import list_images
from .images import check_rgb, open_image, read_mask, transfer_transform
from .vgg import check_image_size
from ..option_parser import OptionParser


def build_parser(description: Optional[str] = None) -> argparse.ArgumentParser:
    from ..cli import HelpFormatter
    parser = OptionParser(description=description or "AdaIN style transfer (pytorch-AdaIN's test.py "
                                     "options)", formatter_class=HelpFormatter)
    parser.add_argument("--content", type=str, help="a content image")
    parser.add_argument("--content_dir", type=str, help="a folder of content images")
    parser.add_argument("--style", type=str, help="a style image, or several separated by commas "
                        "(style interpolation, or spatial control with --mask)")
    parser.add_argument("--style_dir", type=str, help="a folder of style images")
    parser.add_argument("--vgg", type=str, default="models/vgg_normalised.pth",
                        help="normalised VGG weights (.pth of the release, or .pdparams)")
    parser.add_argument("--decoder", type=str, default="models/decoder.pth",
                        help="decoder weights (.pth of the release, or a trained .pdparams)")
    parser.add_argument("--content_size", type=int, default=512,
                        help="new (minimum) size of the content image; 0 keeps its size")
    parser.add_argument("--style_size", type=int, default=512,
                        help="new (minimum) size of the style image; 0 keeps its size")
    parser.add_argument("--crop", action="store_true", help="center crop to a size x size square")
    parser.add_argument("--save_ext", default=".jpg", help="extension of the output images")
    parser.add_argument("--output", type=str, default="output", help="folder for the output images")
    parser.add_argument("--preserve_color", action="store_true", help="keep the content image's colours")
    parser.add_argument("--alpha", type=float, default=1.0,
                        help="degree of stylisation, between 0 and 1")
    parser.add_argument("--style_interpolation_weights", type=str, default="",
                        help="weights mixing the comma-separated --style images, e.g. 1,1,2")
    parser.add_argument("--mask", type=str, default="",
                        help="binary mask of the content's size for spatial control (Lua test.lua): "
                             "--style A,B puts A where the mask is white, B elsewhere")
    parser.add_argument("--impl", default="auto", choices=["auto", "reference", "onednn"],
                        help="how the networks run on the CPU: auto = Paddle Inference with oneDNN "
                             "(fast), reference = eager Paddle (as on a GPU)")
    parser.add_argument("--max_image_pixels", type=int, default=None,
                        help="read images of up to this many pixels (default: Pillow's decompression-bomb "
                             "limit, about 179 million); the original reads any size")
    return parser


@dataclass
class Job:
    """One output: a content image, its style(s) and how they combine."""
    content: str
    styles: list
    output_name: str
    mode: str  # 'single', 'interpolation' or 'mask'


def _paths(single: Optional[str], folder: Optional[str], what: str) -> list[str]:
    if single and folder:
        raise ValueError(f"give --{what} or --{what}_dir, not both")
    if not single and not folder:
        raise ValueError(f"either --{what} or --{what}_dir is needed")
    if single:
        return [single]
    files = list_images(folder, f"{what}_dir")
    if not files:
        raise ValueError(f"{folder}: no images in this folder (from --{what}_dir)")
    return files


def _weights(text: str, n_styles: int) -> Optional[list[float]]:
    if not text:
        return None
    try:
        weights = [float(w) for w in text.split(",")]
    except ValueError:
        raise ValueError(f"--style_interpolation_weights {text!r}: expected numbers separated by commas") from None
    if len(weights) != n_styles:
        raise ValueError(f"--style_interpolation_weights has {len(weights)} weights for {n_styles} --style images")
    return weights


def plan_jobs(args) -> tuple[list[Job], Optional[list[float]]]:
    """The outputs to make, and the interpolation weights; ValueError on inconsistent options."""
    if not 0.0 <= args.alpha <= 1.0:
        raise ValueError(f"--alpha {args.alpha}: must be between 0 and 1")
    ext = args.save_ext if args.save_ext.startswith(".") else "." + args.save_ext
    contents = _paths(args.content, args.content_dir, "content")
    several = bool(args.style) and "," in args.style
    styles = args.style.split(",") if several else _paths(args.style, args.style_dir, "style")
    weights = _weights(args.style_interpolation_weights, len(styles)) if several else None
    if args.style_interpolation_weights and not several:
        raise ValueError("--style_interpolation_weights mixes several --style images separated by commas")
    if args.mask and (not several or len(styles) != 2):
        raise ValueError("--mask takes two styles: --style WHERE_WHITE,WHERE_BLACK")
    if args.mask and weights is not None:
        raise ValueError("--mask and --style_interpolation_weights cannot be combined")
    if several and not args.mask and weights is None:
        raise ValueError("several --style images: give --style_interpolation_weights (one per style) "
                         "or --mask")
    jobs = []
    for content in contents:
        stem = Path(content).stem
        if several:
            mode = "mask" if args.mask else "interpolation"
            name = (f"{stem}_stylized_{'_'.join(Path(s).stem for s in styles)}{ext}" if args.mask
                    else f"{stem}_interpolation{ext}")
            jobs.append(Job(content, styles, name, mode))
        else:
            jobs += [Job(content, [s], f"{stem}_stylized_{Path(s).stem}{ext}", "single") for s in styles]
    return jobs, weights


def load_image(path: str, size: int, crop: bool, option: str,
               max_pixels: Optional[int] = None) -> np.ndarray:
    """An RGB file through the original's test transform -> uint8 [H, W, 3], checked;
    ``max_pixels``: see :func:`~.images.open_image`."""
    image = open_image(path, option, max_pixels)
    check_rgb(image, path)
    array = transfer_transform(image, size, crop)
    check_image_size(array.shape[0], array.shape[1], f"{path} (after resizing)")
    return array


def load_mask(path: str, content_path: str, size: int, crop: bool,
              max_pixels: Optional[int] = None) -> np.ndarray:
    """The mask, of the content file's size, through the content's transform (nearest)."""
    mask = read_mask(path, max_pixels=max_pixels)
    content_size = open_image(content_path, "--content", max_pixels).size
    if mask.size != content_size:
        raise ValueError(f"--mask {path} is {mask.size[1]}x{mask.size[0]} (HxW) but the content image "
                         f"{content_path} is {content_size[1]}x{content_size[0]}: give a mask of its size")
    array = transfer_transform(mask, size, crop, nearest=True)
    values = set(np.unique(array).tolist())
    if not (values <= {0, 255} or values <= {0, 1}):
        raise ValueError(f"--mask {path} must be binary (black 0 / white 255), found values "
                         f"{sorted(values)[:6]}; save it as PNG (JPEG blurs the edges)")
    return array > 0


def check_inputs(args, jobs: list[Job]) -> None:
    """Read every image (and the mask) once, so that bad input stops before anything is written."""
    for content in sorted({j.content for j in jobs}):
        load_image(content, args.content_size, args.crop, "--content", args.max_image_pixels)
        if args.mask:
            load_mask(args.mask, content, args.content_size, args.crop, args.max_image_pixels)
    for style in sorted({s for j in jobs for s in j.styles}):
        load_image(style, args.style_size, args.crop, "--style", args.max_image_pixels)


def run(args, pipeline_factory: Callable, report: Callable[[str], None] = lambda path: None) -> list[str]:
    """Check the inputs, load the weights (``pipeline_factory(vgg, decoder, impl)``), then write every
    output into ``args.output``; returns the written paths."""
    from ..data.visualize import save_image
    jobs, weights = plan_jobs(args)
    check_inputs(args, jobs)
    pipe = pipeline_factory(args.vgg, args.decoder, args.impl)
    os.makedirs(args.output, exist_ok=True)
    written = []
    for job in jobs:
        content = load_image(job.content, args.content_size, args.crop, "--content", args.max_image_pixels)
        styles = [load_image(s, args.style_size, args.crop, "--style", args.max_image_pixels)
                  for s in job.styles]
        mask = load_mask(args.mask, job.content, args.content_size, args.crop,
                         args.max_image_pixels) if job.mode == "mask" else None
        out = pipe.transfer(content, styles if job.mode != "single" else styles[0], alpha=args.alpha,
                            interpolation_weights=weights if job.mode == "interpolation" else None,
                            preserve_color=args.preserve_color, mask=mask)
        path = os.path.join(args.output, job.output_name)
        save_image(path, out)
        written.append(path)
        report(path)
    return written
