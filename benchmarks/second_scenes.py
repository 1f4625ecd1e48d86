"""A second procedural scene family, for checking a training recipe on data it was not tuned on.

Not the default data: dusk landscapes with other classes, shapes and textures than the toy scenes
(``paddle_inade/data/toy_scenes.py``). Written as the ``custom`` layout reads it:

    python benchmarks/second_scenes.py OUT --n 300 --seed 1000
    python tools/train.py --preset toy --dataset_mode custom --label_dir OUT/label \\
        --image_dir OUT/img --instance_dir OUT/inst --label_nc 5 --preprocess_mode fixed \\
        --load_size 64 --crop_size 64 --name second
    python tools/eval_quality.py --name second --reference_phase ''
    python benchmarks/texture_depth.py --name second

(``custom`` has no split: the evaluations read the training scenes.)

Classes: 0 dusk sky (orange to violet, smooth vertical blend), 1 sand (speckled ochre),
2 tower (a grey or brick rectangle with a grid of windows), 3 rock (a dark ellipse with
horizontal shading), 4 pine (a green triangle with vertical bark stripes). Image ``i`` comes from
``numpy.random.default_rng(seed + i)``.
"""
from __future__ import annotations

import argparse
import os

import cv2
import numpy as np

SIZE = 64
CLASSES = {0: "dusk sky", 1: "sand", 2: "tower", 3: "rock", 4: "pine"}


def _hsv(h, s, v):
    """Scalar or array HSV (degrees, 0-1, 0-1) -> float32 RGB in [0, 1], shape (..., 3)."""
    h, s, v = np.broadcast_arrays(np.asarray(h, np.float32) % 360, np.clip(s, 0, 1), np.clip(v, 0, 1))
    hsv = np.stack([h, s, v], -1).astype(np.float32).reshape(-1, 1, 3)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).reshape(h.shape + (3,))


def _paint(image, label, inst, mask, cls, colour, next_id):
    image[mask] = colour[mask] if colour.ndim == 3 else colour
    label[mask] = cls
    inst[mask] = next_id
    return next_id + 1


def make_scene(rng: np.random.Generator):
    """One scene: (label uint8 [64, 64], instance uint8 [64, 64], image uint8 [64, 64, 3])."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    image = np.zeros((SIZE, SIZE, 3), np.float32)
    label = np.zeros((SIZE, SIZE), np.uint8)
    inst = np.zeros((SIZE, SIZE), np.uint8)
    horizon = int(rng.integers(34, 48))
    top, bottom = rng.uniform(260, 300), rng.uniform(15, 45)
    t = yy / horizon
    sky = _hsv(top + (bottom + 360 - top) % 360 * t, rng.uniform(0.4, 0.8), rng.uniform(0.6, 0.95) - 0.1 * (1 - t))
    next_id = _paint(image, label, inst, yy < horizon, 0, sky, 0)
    sand = _hsv(rng.uniform(30, 50), rng.uniform(0.4, 0.7), rng.uniform(0.5, 0.8))
    speckle = rng.normal(0, rng.uniform(0.04, 0.1), (SIZE, SIZE, 1)).astype(np.float32)
    next_id = _paint(image, label, inst, yy >= horizon, 1, np.clip(sand + speckle, 0, 1), next_id)
    for _ in range(int(rng.integers(1, 4))):  # towers stand on the horizon
        w, h = int(rng.integers(6, 14)), int(rng.integers(12, 30))
        x0 = int(rng.integers(0, SIZE - w))
        mask = (xx >= x0) & (xx < x0 + w) & (yy >= horizon - h) & (yy < horizon + 2)
        base = _hsv(rng.choice([0.0, 15.0, 220.0]) + rng.uniform(-10, 10), rng.uniform(0.0, 0.5), rng.uniform(0.3, 0.7))
        windows = ((xx - x0) % 4 < 2) & ((yy - horizon) % 5 < 2)
        colour = np.where(windows[..., None], np.clip(base * 0.4 + rng.uniform(0.3, 0.6), 0, 1), base)
        next_id = _paint(image, label, inst, mask, 2, colour.astype(np.float32), next_id)
    for _ in range(int(rng.integers(0, 3))):  # pines
        h, w = int(rng.integers(10, 22)), int(rng.integers(6, 12))
        cx, base_y = rng.uniform(4, SIZE - 4), rng.uniform(horizon, SIZE - 2)
        mask = (yy <= base_y) & (yy >= base_y - h) & (np.abs(xx - cx) <= w / 2 * (yy - (base_y - h)) / h)
        green = _hsv(rng.uniform(90, 150), rng.uniform(0.5, 0.9), rng.uniform(0.2, 0.5))
        stripes = 0.08 * np.sin(xx * rng.uniform(1.5, 2.5))[..., None]
        next_id = _paint(image, label, inst, mask, 4, np.clip(green + stripes, 0, 1).astype(np.float32), next_id)
    for _ in range(int(rng.integers(1, 4))):  # rocks
        cx, cy = rng.uniform(4, SIZE - 4), rng.uniform(horizon + 3, SIZE - 2)
        ax, ay = rng.uniform(3, 8), rng.uniform(2, 5)
        mask = ((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2 <= 1
        stone = _hsv(rng.uniform(0, 360), rng.uniform(0.1, 0.4), rng.uniform(0.2, 0.45))
        shade = (0.15 * (xx - cx) / ax)[..., None]
        next_id = _paint(image, label, inst, mask, 3, np.clip(stone + shade, 0, 1).astype(np.float32), next_id)
    _, ids = np.unique(inst, return_inverse=True)  # drop ids painted over entirely
    return label, ids.reshape(SIZE, SIZE).astype(np.uint8), (image * 255 + 0.5).astype(np.uint8)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="folder; gets label/, inst/ and img/")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args(argv)
    for kind in ("label", "inst", "img"):
        os.makedirs(os.path.join(args.out, kind), exist_ok=True)
    for i in range(args.n):
        label, inst, image = make_scene(np.random.default_rng(args.seed + i))
        name = f"{i:05d}.png"
        cv2.imwrite(os.path.join(args.out, "label", name), label)
        cv2.imwrite(os.path.join(args.out, "inst", name), inst)
        cv2.imwrite(os.path.join(args.out, "img", name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    print(f"{args.n} scenes in {args.out} (label_nc {len(CLASSES)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
