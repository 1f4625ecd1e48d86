"""The web demo: how fast one interaction answers and how far one instance's change leaks.

Toy model (64x64), K = 4 samples, target: an interaction answers within 1 s on 2 cores.

1. Leak (a trained model; random weights say nothing about it): for every instance of
   ``--layouts`` fresh toy scenes, resample its noise in all K samples and compare the
   generator's raw output with the previous one outside the instance: share of pixels that
   changed at all and by more than 8 levels, mean and largest change, by distance from the
   instance (chessboard pixels). This is why the app shows a composite by default.
2. Library call: ``InstanceSession.resample`` (one batched generator pass over K samples).
3. Round trip through the Gradio server: ``tools/app.py`` in its own process, Debian's chromium
   (Playwright) clicks an instance and waits for the answer (the status line and the new
   picture), as a person would see it.

    python benchmarks/bench_app.py                       # ./checkpoints/toy_inade if trained, else random weights
    python benchmarks/bench_app.py --name toy_inade --checkpoints_dir ./checkpoints --layouts 20 [--no-browser]
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import common  # noqa: F401  (threads = cores, before paddle)
import cv2
import numpy as np
from paddle_inade.device import setup_cpu_process

setup_cpu_process()
import paddle  # noqa: E402

from paddle_inade.data.toy_scenes import render_scene  # noqa: E402
from paddle_inade.interactive import InstanceSession  # noqa: E402
from paddle_inade.pipeline import INADEPipeline  # noqa: E402

LOADED = "() => { const i = document.querySelector('#samples img'); return i && i.complete && i.naturalWidth > 0; }"
BANDS = ((1, 2), (3, 4), (5, 8), (9, 16), (17, 10_000))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def random_run(folder: str) -> str:
    """A run folder with the toy preset's networks at fixed random weights (and 2 toy scenes)."""
    from paddle_inade import INADEConfig, build_encoder, build_generator
    from paddle_inade.data import DataConfig
    from paddle_inade.data.toy_scenes import write_toy_dataset
    from paddle_inade.engine.options import TrainOptions, options_to_yaml
    cfg = INADEConfig.preset("toy")
    root = write_toy_dataset(os.path.join(folder, "toy"), n_images=2, size=64, n_val=2)
    run = os.path.join(folder, "checkpoints", "toy_random")
    os.makedirs(run)
    with open(os.path.join(run, "opt.yaml"), "w", encoding="utf-8") as fh:
        fh.write(options_to_yaml(cfg, DataConfig.for_dataset("toy", dataroot=root), TrainOptions(name="toy_random")))
    paddle.seed(0)
    paddle.save(build_generator(cfg).state_dict(), os.path.join(run, "latest_net_G.pdparams"))
    paddle.save(build_encoder(cfg).state_dict(), os.path.join(run, "latest_net_E.pdparams"))
    return run


def leak_table(pipe, n_layouts: int, k: int) -> None:
    rows = []  # (distance [S, H, W] of outside pixels, change [S, H, W])
    inside = []
    for i in range(n_layouts):
        label, instance, _, _ = render_scene(np.random.default_rng(10_000 + i), 64)
        session = InstanceSession(pipe, label, instance, k, seed=i)
        for target in session.ids:
            before = session.raw
            change = session.resample(int(target))
            diff = np.abs(change.raw.astype(np.int16) - before.astype(np.int16)).max(-1)
            distance = cv2.distanceTransform((~change.mask).astype(np.uint8), cv2.DIST_C, 3)
            rows.append((distance, diff))
            inside.append(change.leak.inside_changed)
    print(f"\nleak: {len(rows)} instance resamples on {n_layouts} toy layouts, K={k}; raw output against the "
          f"previous raw output (inside the instance {100 * np.mean(inside):.0f}% of pixels change)")
    print(f"  {'distance (px)':>14} {'pixels':>8} {'changed':>8} {'> 8 lvl':>8} {'mean lvl':>9} {'max lvl':>8}")
    all_d = np.concatenate([np.broadcast_to(d, x.shape).ravel() for d, x in rows])
    all_x = np.concatenate([x.ravel() for _, x in rows])
    for lo, hi in (*BANDS, (1, 10_000)):
        sel = (all_d >= lo) & (all_d <= hi)
        name = "all outside" if (lo, hi) == (1, 10_000) else (f"{lo}-{hi}" if hi < 10_000 else f">= {lo}")
        x = all_x[sel]
        print(f"  {name:>14} {x.size:>8} {100 * (x > 0).mean():>7.1f}% {100 * (x > 8).mean():>7.1f}% "
              f"{x.mean():>9.2f} {x.max():>8}")


def time_library(pipe, k: int, repeats: int) -> list[float]:
    label, instance, _, _ = render_scene(np.random.default_rng(3), 64)
    session = InstanceSession(pipe, label, instance, k, seed=0)
    ids = [int(i) for i in session.ids]
    session.resample(ids[0])  # warm-up
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        session.resample(ids[r % len(ids)])
        times.append(time.perf_counter() - t0)
    return times


def time_browser(run: str, k: int, repeats: int) -> list[float]:
    """Click -> answer in chromium against tools/app.py in its own process."""
    from playwright.sync_api import sync_playwright
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="bench_app_")
    server = subprocess.Popen([sys.executable, str(common.ROOT / "tools" / "app.py"), "--name", os.path.basename(run),
                               "--checkpoints_dir", os.path.dirname(run), "--port", str(port), "--n_samples", str(k),
                               "--temp_dir", os.path.join(tmp, "app")], cwd=tmp,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise RuntimeError("tools/app.py did not start")
                time.sleep(0.5)
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                os.path.join(tmp, "profile"), executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                headless=True, viewport={"width": 1600, "height": 1300})
            page = context.new_page()
            page.goto(url)
            page.locator("#layout img").wait_for()
            page.click("#generate")
            page.wait_for_function("() => /\\[1\\]/.test(document.querySelector('#status').innerText)")
            page.wait_for_function(LOADED)
            img = page.locator("#samples img").first
            times = []
            for r in range(repeats + 1):
                t0 = time.perf_counter()
                img.click(position={"x": 4 * (8 + 6 * (r % 8)) + 2, "y": 4 * 50 + 2})  # row 50: the ground
                page.wait_for_function(f"() => /\\[{r + 2}\\]/.test(document.querySelector('#status').innerText)")
                if r:  # the first click warms up
                    times.append(time.perf_counter() - t0)
            context.close()
        return times
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def summary(times: list[float]) -> str:
    return (f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s "
            f"({len(times)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="toy_inade")
    parser.add_argument("--checkpoints_dir", default="./checkpoints")
    parser.add_argument("--n_samples", type=int, default=4)
    parser.add_argument("--layouts", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-browser", action="store_true", help="skip the round trip through the server")
    args = parser.parse_args()
    print(common.machine())
    print("note: timings on a shared machine are noisy; the minimum is the least disturbed run")
    run = os.path.abspath(os.path.join(args.checkpoints_dir, args.name))
    scratch = None
    if os.path.isfile(os.path.join(run, "latest_net_G.pdparams")):
        print(f"model: {run} (trained)")
        trained = True
    else:
        scratch = tempfile.mkdtemp(prefix="bench_app_model_")
        run, trained = random_run(scratch), False
        print(f"model: the toy preset at random weights ({run}): timing only, no leak measure "
              "(train one with `python tools/train.py`)")
    try:
        pipe = INADEPipeline.from_checkpoint(run, device="cpu")
        if trained:
            leak_table(pipe, args.layouts, args.n_samples)
        print(f"\nlibrary: InstanceSession.resample, 64x64, K={args.n_samples}: "
              f"{summary(time_library(pipe, args.n_samples, args.repeats))}")
        if args.no_browser:
            return
        if not os.path.exists("/usr/bin/chromium"):
            print("round trip: skipped (no /usr/bin/chromium; apt-get install chromium)")
            return
        times = time_browser(run, args.n_samples, args.repeats)
        print(f"round trip (chromium click -> new picture and status, tools/app.py): {summary(times)}")
        print(f"target <= 1 s per interaction: {'met' if statistics.median(times) <= 1.0 else 'NOT met'} (median)")
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
