"""A user's own AdaIN script, timed: run by ``bench_style_transfer.py --user-script``.

Imports nothing of the benchmarks (``common`` would set the threads): paddle, the package, an
``AdaINPipeline`` of random weights, one transfer of two random ``--size`` squared uint8
images, as a plain script would. ``--setup`` calls ``paddle_inade.setup_cpu_process()``
first, before any computation. Prints one JSON line: the best transfer time of ``--repeats``
after a warm-up, and the OMP/MKL threads the process ended with.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import paddle  # first, as most scripts do: it sets OMP_NUM_THREADS=1 when unset

import paddle_inade
from paddle_inade.adain import AdaINPipeline, Decoder, VGGEncoder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", action="store_true", help="call paddle_inade.setup_cpu_process() first")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.setup:
        paddle_inade.setup_cpu_process()
    paddle.seed(0)
    pipe = AdaINPipeline(VGGEncoder(), Decoder())
    rng = np.random.default_rng(0)
    content, style = (rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8) for _ in range(2))
    pipe.transfer(content, style)  # warm-up
    best = float("inf")
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        pipe.transfer(content, style)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"transfer": best, "omp": os.environ.get("OMP_NUM_THREADS"),
                      "mkl": os.environ.get("MKL_NUM_THREADS")}))


if __name__ == "__main__":
    main()
