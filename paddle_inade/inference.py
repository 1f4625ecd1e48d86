"""Batch inference over a dataset: K samples per layout, grids and an index.html.

Used by ``tools/test.py``. Everything is written into a temporary folder that is
renamed to ``results_dir`` at the end, so an error never leaves a partial result.
"""
from __future__ import annotations

import html
import os
from typing import Optional

from .io import atomic_folder

from .data.visualize import colorize_label, instance_boundaries, make_grid, save_image, to_uint8_image
from .pipeline import INADEPipeline


def write_results(pipe: INADEPipeline, dataset, out_dir: str, n_samples: int = 3, seed: int = 0,
                  how_many: Optional[int] = None, use_encoder: bool = False, progress=None) -> int:
    """Generate ``n_samples`` images for each of the first ``how_many`` dataset items.

    Writes ``images/<stem>_real.png``, ``images/<stem>_sample<k>.png``, ``grids/<stem>.png``
    (label | instances | real | samples) and ``index.html`` into ``out_dir``; returns the count.
    """
    count = len(dataset) if how_many is None else min(len(dataset), how_many)
    with atomic_folder(out_dir) as tmp:
        for sub in ("images", "grids"):
            os.makedirs(os.path.join(tmp, sub))
        rows = []
        for index in range(count):
            rows.append(_one(pipe, dataset[index], tmp, n_samples, seed + index, use_encoder))
            if progress is not None:
                progress(1)
        _index_html(os.path.join(tmp, "index.html"), rows, n_samples)
    return count


def _one(pipe, sample, folder, n_samples, seed, use_encoder) -> str:
    stem = os.path.splitext(os.path.basename(sample["path"]))[0]
    label, inst = sample["label"][0], sample["instance"][0]
    real = to_uint8_image(sample["image"])
    sketch = sample.get("sketch") if pipe.cfg.add_sketch else None
    images = pipe.generate(label, inst, n_samples=n_samples, seed=seed, sketch=sketch,
                           image=real if use_encoder else None)[0]
    save_image(os.path.join(folder, "images", f"{stem}_real.png"), real)
    for k, img in enumerate(images):
        save_image(os.path.join(folder, "images", f"{stem}_sample{k}.png"), img)
    grid = make_grid([[colorize_label(label, pipe.cfg.label_channels), instance_boundaries(inst, real), real]
                      + list(images)])
    save_image(os.path.join(folder, "grids", f"{stem}.png"), grid)
    return stem


def _index_html(path: str, stems: list[str], n_samples: int) -> None:
    lines = ["<!doctype html><meta charset='utf-8'><title>paddle_inade results</title>",
             f"<h1>{len(stems)} layouts, {n_samples} samples each</h1>",
             "<p>label | instances | real | samples</p>"]
    for stem in stems:
        name = html.escape(stem)
        lines.append(f"<h3>{name}</h3><img src='grids/{name}.png' style='image-rendering:pixelated;width:90%'>")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
