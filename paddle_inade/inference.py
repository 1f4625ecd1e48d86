"""Batch inference over a dataset: K samples per layout, in the original's results layout plus grids.

Used by ``tools/test.py``. The folder (the original's ``results/<name>/<phase>_<epoch>``) holds

    index.html                                  one row per layout: its grid
    images/input_label/<stem>.png               label colours (as the original)
    images/synthesized_image/<stem>.png         the first sample (as the original)
    images/synthesized_image_<k>/<stem>.png     samples k = 1 .. n_samples - 1
    images/real_image/<stem>.png                the dataset's photo (e.g. for tools/eval_fid.py)
    grids/<stem>.png                            label | instance boundaries | real | samples

Everything is written into a temporary folder that replaces the old one only when complete
(:func:`paddle_inade.files.atomic_folder`), so an error never leaves a partial or empty result.
Layout ``i`` draws its noise from ``numpy.random.default_rng(seed + i)``: its images do not
depend on ``batch_size``.
"""
from __future__ import annotations

import html
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, Optional

import numpy as np

from .data.visualize import colorize_label, instance_boundaries, make_grid, save_image, to_uint8_image
from .files import atomic_folder
from .pipeline import INADEPipeline


def write_results(pipe: INADEPipeline, dataset, out_dir: str, n_samples: int = 1, seed: int = 0,
                  how_many: Optional[int] = None, use_encoder: bool = False, batch_size: int = 1,
                  workers: int = 0, progress: Optional[Callable[[int], None]] = None, title: str = "") -> int:
    """Generate ``n_samples`` images for each of the first ``how_many`` dataset items (all when
    None) into ``out_dir`` (see the module doc); returns the count.

    Raises ValueError before any work for ``how_many`` or ``n_samples`` below 1, or an empty
    dataset; an existing ``out_dir`` is then left as it is.
    """
    count = len(dataset) if how_many is None else min(len(dataset), how_many)
    if how_many is not None and how_many < 1:
        raise ValueError(f"--how_many {how_many}: nothing to generate (it must be >= 1); {out_dir} is left as it is")
    if n_samples < 1 or batch_size < 1:
        raise ValueError(f"--n_samples {n_samples} and --batchSize {batch_size} must be >= 1")
    if count == 0:
        raise ValueError(f"the dataset is empty: nothing to generate; {out_dir} is left as it is")
    with atomic_folder(out_dir) as tmp:
        stems = []
        for start, samples in _batches(dataset, count, batch_size, workers):
            stems += _write_batch(pipe, samples, tmp, n_samples, list(range(seed + start, seed + start + len(samples))),
                                  use_encoder)
            if progress is not None:
                progress(len(samples))
        _index_html(os.path.join(tmp, "index.html"), stems, n_samples, title)
    return count


def _batches(dataset, count: int, batch_size: int, workers: int) -> Iterator[tuple[int, list]]:
    """(first index, samples) in order; with ``workers`` threads the next batch loads meanwhile."""
    starts = range(0, count, batch_size)
    if workers <= 0:
        for start in starts:
            yield start, [dataset[i] for i in range(start, min(count, start + batch_size))]
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        def submit(start):
            return [pool.submit(dataset.__getitem__, i) for i in range(start, min(count, start + batch_size))]
        pending = submit(0)
        for start in starts:
            current, pending = pending, (submit(start + batch_size) if start + batch_size < count else [])
            yield start, [f.result() for f in current]


def _write_batch(pipe, samples, folder, n_samples, seeds, use_encoder) -> list[str]:
    if len({s["label"].shape for s in samples}) > 1:
        raise ValueError(f"the samples {[s['path'] for s in samples]} have different sizes "
                         f"{[s['label'].shape[1:] for s in samples]}: use --batchSize 1, or a --preprocess_mode "
                         "that gives one size")
    label = np.stack([s["label"][0] for s in samples])
    inst = np.stack([s["instance"][0] for s in samples])
    real = np.stack([to_uint8_image(s["image"]) for s in samples])
    sketch = np.stack([s["sketch"] for s in samples]) if pipe.takes_sketch else None
    images = pipe.generate(label, inst, n_samples=n_samples, seed=seeds, sketch=sketch,
                           image=real if use_encoder else None)
    stems = []
    for b, sample in enumerate(samples):
        stem = os.path.splitext(os.path.basename(sample["path"]))[0]
        colours = colorize_label(label[b], pipe.cfg.label_channels)
        files = {"input_label": colours, "real_image": real[b]}
        files.update({_sample_dir(k): img for k, img in enumerate(images[b])})
        for sub, image in files.items():
            save_image(os.path.join(folder, "images", sub, f"{stem}.png"), image)
        grid = make_grid([[colours, instance_boundaries(inst[b], real[b]), real[b]] + list(images[b])])
        save_image(os.path.join(folder, "grids", f"{stem}.png"), grid)
        stems.append(stem)
    return stems


def _sample_dir(k: int) -> str:
    return "synthesized_image" if k == 0 else f"synthesized_image_{k}"


def _index_html(path: str, stems: list[str], n_samples: int, title: str) -> None:
    heading = html.escape(title) if title else "paddle_inade results"
    lines = [f"<!doctype html><meta charset='utf-8'><title>{heading}</title>",
             f"<h1>{heading}</h1>",
             f"<p>{len(stems)} layouts, {n_samples} sample(s) each: label | instances | real | samples "
             "(single images under images/)</p>"]
    for stem in stems:
        name = html.escape(stem)
        lines.append(f"<h3>{name}</h3><img src='grids/{name}.png' style='image-rendering:pixelated;width:90%'>")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
