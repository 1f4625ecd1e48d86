"""tools/app.py as a person uses it: the Gradio server in its own process, driven by Debian's
chromium through Playwright. Screenshots go to each test's tmp_path.

The model is a toy-size INADE (ngf 4) with fixed random weights, so the page answers in well
under a second; what is checked is the documented behaviour: a click changes the shown samples
inside the clicked instance (or class) and nowhere else (the composite), the raw view is the
generator's output, and bad input gives a message in the page while the server keeps running
and writes only into its temporary folder.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Optional

import cv2
import numpy as np
import paddle
import pytest

from conftest import ROOT, snapshot

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
browser_test = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                  reason="Debian's chromium is missing (.ci/run installs it with apt-get)")
ZOOM, GAP, K, SIZE = 4, 8, 4, 64
MODES = ("resample the instance", "resample its class (one shared noise)", "style of the reference instance")


# --------------------------------------------------------------------------- model and server
def model_config():
    from paddle_inade import INADEConfig
    return INADEConfig.preset("toy").replace(ngf=4)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run folder as training leaves it (opt.yaml + G + E, random weights) over toy scenes."""
    from paddle_inade import build_encoder, build_generator
    from paddle_inade.data import DataConfig
    from paddle_inade.data.toy_scenes import write_toy_dataset
    from paddle_inade.engine.options import TrainOptions, options_to_yaml
    base = tmp_path_factory.mktemp("app_run")
    root = write_toy_dataset(str(base / "toy"), n_images=2, size=SIZE, n_val=3)
    cfg = model_config()
    folder = base / "checkpoints" / "tiny"
    folder.mkdir(parents=True)
    data = DataConfig.for_dataset("toy", dataroot=root)
    (folder / "opt.yaml").write_text(options_to_yaml(cfg, data, TrainOptions(name="tiny")), encoding="utf-8")
    paddle.seed(0)
    paddle.save(build_generator(cfg).state_dict(), str(folder / "latest_net_G.pdparams"))
    paddle.save(build_encoder(cfg).state_dict(), str(folder / "latest_net_E.pdparams"))
    return {"base": base, "root": root, "folder": folder, "cfg": cfg}


def wait_for_answer(url: str, proc, seconds: float = 120) -> None:
    """Until ``url`` answers 200; AssertionError when ``proc`` ended or ``seconds`` passed first."""
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert proc.poll() is None and time.time() < deadline, f"no page on {url} (exit {proc.poll()})"
        time.sleep(0.3)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(run, tmp_path_factory):
    """tools/app.py on a free local port, started from an empty working folder."""
    base = tmp_path_factory.mktemp("app_server")
    cwd, temp_dir = base / "cwd", base / "app_tmp"
    cwd.mkdir()
    port = free_port()
    before = {"model": snapshot(run["folder"]), "data": snapshot(run["root"])}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    log = open(base / "server.log", "w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "app.py"), "--name", "tiny",
                             "--checkpoints_dir", str(run["folder"].parent), "--port", str(port),
                             "--temp_dir", str(temp_dir), "--gpu_ids", "-1", "--n_samples", str(K)],
                            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_answer(url, proc)
    except AssertionError:
        proc.kill()
        log.close()
        raise AssertionError(f"the app did not start:\n{(base / 'server.log').read_text()[-3000:]}") from None
    yield {"url": url, "proc": proc, "cwd": cwd, "temp_dir": temp_dir, "before": before, "log": base / "server.log"}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium_profile")), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
            headless=True, viewport={"width": 1600, "height": 1300})
        yield context
        context.close()


@pytest.fixture
def page(browser, server):
    page = browser.new_page()
    page.set_default_timeout(60_000)
    page.goto(server["url"])
    page.locator("#layout img").wait_for()
    yield page
    page.close()


@pytest.fixture(scope="module")
def scenes(run):
    from paddle_inade.data import DataConfig
    from paddle_inade.interactive import Scenes
    return Scenes(DataConfig.for_dataset("toy", "test", dataroot=run["root"]))


# --------------------------------------------------------------------------- page helpers
def picture(page, elem: str) -> np.ndarray:
    """The picture an Image component shows, fetched as the browser does (RGB uint8)."""
    src = page.locator(f"#{elem} img").first.get_attribute("src")
    body = page.request.get(src).body()
    return cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]


def untile(strip: np.ndarray, n: int) -> np.ndarray:
    """[n, SIZE, SIZE, 3] from a strip of n zoomed pictures."""
    pitch = SIZE * ZOOM + GAP
    return np.stack([strip[:, i * pitch:i * pitch + SIZE * ZOOM][::ZOOM, ::ZOOM] for i in range(n)])


def click_at(page, elem: str, x: float, y: float) -> None:
    """Click strip pixel (x, y) of an Image component (object-fit: contain, never enlarged)."""
    page.wait_for_function("e => { const i = document.querySelector(`#${e} img`);"
                           " return i && i.complete && i.naturalWidth > 0; }", arg=elem)  # the picture is loaded
    img = page.locator(f"#{elem} img").first
    img.scroll_into_view_if_needed()
    box = img.bounding_box()
    natural_w, natural_h = img.evaluate("e => [e.naturalWidth, e.naturalHeight]")
    scale = min(box["width"] / natural_w, box["height"] / natural_h, 1.0)
    off_x, off_y = (box["width"] - natural_w * scale) / 2, (box["height"] - natural_h * scale) / 2
    img.click(position={"x": off_x + x * scale, "y": off_y + y * scale})


def click_pixel(page, elem: str, sample: int, row: int, col: int) -> None:
    click_at(page, elem, sample * (SIZE * ZOOM + GAP) + col * ZOOM + ZOOM / 2, row * ZOOM + ZOOM / 2)


def status(page) -> str:
    """The status line: '[n] message' (n numbers the page's answers), without progress timers."""
    text = page.locator("#status").inner_text()
    return text[text.find("["):].strip() if "[" in text else text.strip()


def act(page, action, *expected: str) -> str:
    """Do ``action()``, wait for the next numbered status line, check it holds every
    ``expected`` text, return it."""
    match = re.match(r"\[(\d+)\]", status(page))
    number = int(match.group(1)) if match else 0
    action()
    page.wait_for_function("n => { const m = document.querySelector('#status').innerText.match(/\\[(\\d+)\\]/);"
                           " return m !== null && Number(m[1]) > n; }", arg=number)
    message = status(page)
    for text in expected:
        assert text in message, f"expected {text!r} in the status {message!r}"
    return message


def generate(page) -> np.ndarray:
    act(page, lambda: page.click("#generate"), "generated")
    return untile(picture(page, "samples"), K)


def inner_pixel(mask: np.ndarray) -> tuple[int, int]:
    """A pixel of ``mask`` whose 5x5 neighbourhood is inside it (safe to click)."""
    inner = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    rows, cols = np.nonzero(inner)
    assert rows.size, "the instance is too small to click safely"
    i = rows.size // 2
    return int(rows[i]), int(cols[i])


def assert_changed_only_inside(before: np.ndarray, after: np.ndarray, mask: np.ndarray, what: str) -> None:
    np.testing.assert_array_equal(after[:, ~mask], before[:, ~mask], err_msg=f"{what}: pixels outside changed")
    for s in range(len(after)):
        assert not np.array_equal(after[s][mask], before[s][mask]), f"{what}: sample {s} did not change inside"


def select_mode(page, mode: str) -> None:
    page.locator("#mode").get_by_text(mode, exact=True).click()


def upload(page, elem: str, path) -> None:
    page.locator(f"#{elem} input[type=file]").set_input_files(str(path))
    page.wait_for_function("([e, name]) => document.getElementById(e).innerText.replace(/\\s/g, '').includes(name)",
                           arg=[elem, os.path.basename(str(path))])  # the upload is listed: it is done


# --------------------------------------------------------------------------- tests
@browser_test
def test_click_changes_only_that_instance(page, scenes, tmp_path):
    label, instance, _ = scenes[0]
    page.screenshot(path=str(tmp_path / "0_opened.png"), full_page=True)
    first = generate(page)
    assert first.shape == (K, SIZE, SIZE, 3) and not np.array_equal(first[0], first[1])
    page.screenshot(path=str(tmp_path / "1_generated.png"), full_page=True)
    objects = [i for i in np.unique(instance) if np.bincount(label[instance == i]).argmax() >= 3]
    target = max(objects, key=lambda i: (instance == i).sum())
    mask = instance == target
    row, col = inner_pixel(mask)
    act(page, lambda: click_pixel(page, "samples", 2, row, col), f"changed instance {target};", "composite")
    after = untile(picture(page, "samples"), K)
    assert_changed_only_inside(first, after, mask, f"resampling instance {target}")
    page.screenshot(path=str(tmp_path / "2_instance_resampled.png"), full_page=True)
    # the raw view: the generator's own output, equal to the shown picture inside the instance
    act(page, lambda: page.locator("#raw input[type=checkbox]").check(), "showing the raw output")
    raw = untile(picture(page, "samples"), K)
    np.testing.assert_array_equal(raw[:, mask], after[:, mask])
    page.screenshot(path=str(tmp_path / "3_raw_view.png"), full_page=True)


@browser_test
def test_class_level_and_reference_style(page, scenes, tmp_path):
    label, instance, _ = scenes[0]
    before = generate(page)
    classes = {int(i): int(np.bincount(label[instance == i]).argmax()) for i in np.unique(instance)}
    balloons = [i for i, c in classes.items() if c == 3]
    assert len(balloons) >= 2, "scene 0 of the test data has several balloons"
    select_mode(page, MODES[1])
    row, col = inner_pixel(instance == balloons[0])
    act(page, lambda: click_pixel(page, "samples", 0, row, col), f"changed class 3 ({len(balloons)} instances)")
    after = untile(picture(page, "samples"), K)
    assert_changed_only_inside(before, after, np.isin(instance, balloons), "class-level resample")
    for i in balloons:  # every instance of the class changed
        assert not np.array_equal(after[:, instance == i], before[:, instance == i])
    page.screenshot(path=str(tmp_path / "1_class_resampled.png"), full_page=True)
    # style from a reference instance (the page opens with the second scene as reference)
    ref_label, ref_instance, _ = scenes[1]
    ref_balloons = [i for i in np.unique(ref_instance) if np.bincount(ref_label[ref_instance == i]).argmax() == 3]
    assert ref_balloons, "scene 1 of the test data has a balloon"
    ref_id = max(ref_balloons, key=lambda i: (ref_instance == i).sum())
    other = next(i for i in np.unique(ref_instance) if np.bincount(ref_label[ref_instance == i]).argmax() != 3)
    select_mode(page, MODES[2])
    target = balloons[1]
    act(page, lambda: click_pixel(page, "reference", 0, *inner_pixel(ref_instance == other)),
        f"reference instance {other} chosen")
    act(page, lambda: click_pixel(page, "samples", 1, *inner_pixel(instance == target)),
        "error: reference instance", "a style carries over only within a class")
    np.testing.assert_array_equal(untile(picture(page, "samples"), K), after)  # refused: nothing changed
    act(page, lambda: click_pixel(page, "reference", 0, *inner_pixel(ref_instance == ref_id)),
        f"reference instance {ref_id} chosen")
    act(page, lambda: click_pixel(page, "samples", 1, *inner_pixel(instance == target)),
        f"changed instance {target} to the style of 00003.png instance {ref_id}")
    restyled = untile(picture(page, "samples"), K)
    assert_changed_only_inside(after, restyled, instance == target, "restyle")
    page.screenshot(path=str(tmp_path / "2_restyled.png"), full_page=True)


@browser_test
def test_seed_and_export(page, tmp_path):
    a = generate(page)
    np.testing.assert_array_equal(generate(page), a)  # same seed, same samples
    page.locator("#seed input").fill("5")
    b = generate(page)
    assert "seed 5" in status(page) and not np.array_equal(a, b)
    act(page, lambda: page.click("#export"), "exported 5 PNGs (composite)")
    links = page.locator("#files a")
    links.first.wait_for()
    hrefs = {os.path.basename(links.nth(i).get_attribute("href").split("?")[0]): links.nth(i).get_attribute("href")
             for i in range(links.count())}
    assert set(hrefs) == {"inade_strip.png", *(f"inade_sample{k}.png" for k in range(1, K + 1))}
    body = page.request.get(hrefs["inade_sample1.png"]).body()
    np.testing.assert_array_equal(cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)[..., ::-1], b[0])
    page.screenshot(path=str(tmp_path / "exported.png"), full_page=True)


@browser_test
def test_bad_input_gives_a_message_and_the_server_goes_on(browser, server, run, scenes, tmp_path):
    label, instance, photo = scenes[0]
    files = tmp_path / "uploads"
    files.mkdir()
    good_label = files / "good_label.png"
    cv2.imwrite(str(good_label), label.astype(np.uint8))
    good_inst = files / "good_inst.png"
    cv2.imwrite(str(good_inst), instance.astype(np.uint8))
    beyond = files / "beyond_label.png"
    cv2.imwrite(str(beyond), np.where(label == 3, 9, label).astype(np.uint8))
    small_inst = files / "small_inst.png"
    cv2.imwrite(str(small_inst), instance[::2, ::2].astype(np.uint8))
    not_image = files / "notes.txt"
    not_image.write_text("this is not a picture")
    big_ref = files / "big_ref.png"
    cv2.imwrite(str(big_ref), cv2.resize(photo, (100, 80))[..., ::-1])

    def fresh():
        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(server["url"])
        page.locator("#layout img").wait_for()
        return page

    cases = [("beyond", [("label_file", beyond), ("instance_file", good_inst)], "use_layout",
              ["error: beyond_label.png: class [9] beyond the model's 6 classes", "layout is unchanged"]),
             ("other_size", [("label_file", good_label), ("instance_file", small_inst)], "use_layout",
              ["error: small_inst.png is 32x32 but good_label.png is 64x64", "the instance map must have the label"]),
             ("not_image", [("label_file", not_image), ("instance_file", good_inst)], "use_layout",
              ["error: notes.txt: not a readable image"]),
             ("big_reference", [("ref_photo_file", big_ref)], "use_ref",
              ["big_ref.png photo 100x80 resized to the model's 64x64", "the whole photo is one instance"])]
    for name, uploads, button, expected in cases:
        page = fresh()
        layout_src = page.locator("#layout img").first.get_attribute("src")
        for elem, path in uploads:
            upload(page, elem, path)
        act(page, lambda: page.click(f"#{button}"), *expected)
        if button == "use_layout":  # the layout shown stays as it was
            assert page.locator("#layout img").first.get_attribute("src") == layout_src
        page.screenshot(path=str(tmp_path / f"bad_{name}.png"), full_page=True)
        page.close()
        assert server["proc"].poll() is None, f"the server stopped after {name}"

    page = fresh()
    generate(page)
    act(page, lambda: click_at(page, "samples", SIZE * ZOOM + GAP / 2, 10),  # between the first two pictures
        "no instance at", "between the pictures")
    page.screenshot(path=str(tmp_path / "bad_click_between.png"), full_page=True)
    # a good upload still works, and the server is alive
    for elem, path in (("label_file", good_label), ("instance_file", good_inst)):
        upload(page, elem, path)
    act(page, lambda: page.click("#use_layout"), "generated 4 samples of good_label.png")
    page.close()
    assert server["proc"].poll() is None
    # nothing written outside the app's temporary folder
    assert os.listdir(server["cwd"]) == []
    assert snapshot(run["folder"]) == server["before"]["model"]
    assert snapshot(run["root"]) == server["before"]["data"]
    in_temp = {os.path.basename(p) for p in snapshot(server["temp_dir"])}
    assert {"notes.txt", "beyond_label.png", "big_ref.png"} <= in_temp


def test_default_model_is_trained_when_missing(tmp_path):
    """tools/app.py without --name/--checkpoint trains the toy model first (here 1 step)."""
    from paddle_inade.data.toy_scenes import write_toy_dataset
    from test_pipeline import load_tool
    app = load_tool("app")
    root = write_toy_dataset(str(tmp_path / "toy"), n_images=2, size=64, n_val=1)
    folder = app.ensure_toy_model(str(tmp_path / "ck"), ["--max_steps", "1", "--batchSize", "1",
                                                         "--dataroot", root, "--display_freq", "1000"])
    assert folder == str(tmp_path / "ck" / "toy_inade")
    assert os.path.isfile(os.path.join(folder, "latest_net_G.pdparams"))
    stamp = os.path.getmtime(os.path.join(folder, "latest_net_G.pdparams"))
    assert app.ensure_toy_model(str(tmp_path / "ck")) == folder  # present: not trained again
    assert os.path.getmtime(os.path.join(folder, "latest_net_G.pdparams")) == stamp


def test_an_unfinished_toy_run_is_resumed_and_a_finished_one_kept(tmp_path):
    """A toy run stopped after its first step (as Ctrl-C leaves it) is finished from its
    ``latest`` checkpoint, not started again; the trainer reports every step to ``on_step``."""
    from paddle_inade.data.toy_scenes import write_toy_dataset
    from paddle_inade.engine.trainer import TrainingInterrupted
    from paddle_inade.training_cli import main as train
    from test_pipeline import load_tool
    app = load_tool("app")
    root = write_toy_dataset(str(tmp_path / "toy"), n_images=2, size=64, n_val=1)
    ck = str(tmp_path / "ck")
    args = ["--max_steps", "3", "--batchSize", "1", "--dataroot", root, "--display_freq", "1000"]
    with pytest.raises(TrainingInterrupted):
        train(["--checkpoints_dir", ck, *args], should_stop=lambda: True)
    folder = os.path.join(ck, "toy_inade")
    assert app.toy_run_progress(folder) == (1, False)
    steps = []
    assert app.ensure_toy_model(ck, args, on_step=lambda done, total: steps.append((done, total))) == folder
    assert steps == [(2, 3), (3, 3)]  # resumed after step 1
    assert app.toy_run_progress(folder) == (3, True)
    assert app.ensure_toy_model(ck, args, on_step=lambda done, total: steps.append((done, total))) == folder
    assert steps == [(2, 3), (3, 3)]  # finished: not trained again


APP_WITH_SHORT_TRAINING = (  # tools/app.py's main, its toy training shortened by the options in argv[2]
    "import importlib.util, sys; spec = importlib.util.spec_from_file_location('app', sys.argv[1]); "
    "app = importlib.util.module_from_spec(spec); spec.loader.exec_module(app); "
    "app.TOY_TRAIN_ARGS = tuple(sys.argv[2].split()); sys.exit(app.main(sys.argv[3:]))")


@browser_test
def test_while_the_toy_model_trains_the_page_says_so_then_becomes_the_demo(browser, tmp_path):
    """The first start without a model (AI Studio's): the demo's address at once serves a page
    with the training's progress; Ctrl-C there saves and says how to go on; the next start
    resumes, and the open page turns into the demo by itself when the model is ready."""
    import signal
    from paddle_inade.data.toy_scenes import write_toy_dataset
    from paddle_inade.engine.trainer_state import read_trainer_state
    root = write_toy_dataset(str(tmp_path / "toy"), n_images=8, size=SIZE, n_val=2)  # 5 epochs: 40 steps
    ck, port = tmp_path / "ck", free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    app_title = "INADE instance-level control"

    def start():
        return subprocess.Popen(
            [sys.executable, "-c", APP_WITH_SHORT_TRAINING, str(ROOT / "tools" / "app.py"),
             f"--batchSize 1 --niter 5 --dataroot {root} --display_freq 1000", "--checkpoints_dir", str(ck),
             "--port", str(port), "--gpu_ids", "-1", "--temp_dir", str(tmp_path / "app_tmp")],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def shown_step(page) -> Optional[int]:
        """The step the waiting page shows; None when the page has become the demo."""
        page.wait_for_function(
            "() => { const status = document.querySelector('#training_status');"
            f" return document.title === '{app_title}'"
            " || (status !== null && /step \\d+ \\/ 40/.test(status.innerText)); }")
        if page.title() == app_title:
            return None
        return int(re.search(r"step (\d+) / 40", page.locator("#training_status").inner_text()).group(1))

    page = browser.new_page()
    page.set_default_timeout(120_000)
    proc = start()
    try:
        wait_for_answer(url, proc)
        page.goto(url)
        page.wait_for_function("() => document.title === 'INADE demo: training the model'")
        page.get_by_text("being trained first").wait_for()
        assert shown_step(page) is not None
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130 and "Traceback" not in err, err[-3000:]
        last = err.strip().splitlines()[-1]
        assert last.startswith("SIGINT: stopped after step") and "run the app again to resume" in last, last
        done = int(re.search(r"after step (\d+)", last).group(1))
        assert read_trainer_state(str(ck / "toy_inade" / "latest_trainer.pdstate"))["total_steps"] == done
        assert 1 <= done < 40

        proc = start()
        wait_for_answer(url, proc)
        page.goto(url)
        shown = shown_step(page)  # (None: on a fast host the training may be done already)
        assert shown is None or shown > done  # resumed, not started again
        page.wait_for_function("() => document.title === 'INADE instance-level control'")  # reloaded itself
        page.locator("#layout img").wait_for()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 143, err[-3000:]
        assert f"resumed after step {done}" in out and "Traceback" not in err, out[-2000:] + err[-2000:]
    finally:
        page.close()
        if proc.poll() is None:
            proc.kill()


def test_hosted_entry_point_runs_the_app_with_its_defaults():
    """app.gradio.py (what AI Studio runs) loads tools/app.py and launches nothing when imported."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("hosted_entry", ROOT / "app.gradio.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module._app.parse_args([]).host is None and module._app.parse_args([]).name is None


def test_app_refuses_what_it_cannot_run(tmp_path, capsys, run):
    from test_pipeline import load_tool
    app = load_tool("app")
    assert app.main(["--checkpoint", str(tmp_path / "missing.pdparams"), "--preset", "toy",
                     "--temp_dir", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --checkpoint") and "missing.pdparams: no such file" in err
    assert app.main(["--name", "tiyn", "--checkpoints_dir", str(run["folder"].parent), "--gpu_ids", "-1",
                     "--temp_dir", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert "error: no run folder" in err and "holds: tiny" in err
    with pytest.raises(SystemExit):
        app.parse_args(["--n_samples", "0"])
    assert "--n_samples must be 1..8, got 0" in capsys.readouterr().err


# --------------------------------------------------------------------------- handlers, without a browser
@pytest.fixture(scope="module")
def handlers(run):
    from test_pipeline import load_tool
    app = load_tool("app")
    args = app.parse_args(["--name", "tiny", "--checkpoints_dir", str(run["folder"].parent), "--gpu_ids", "-1",
                           "--n_samples", "2", "--temp_dir", str(run["base"] / "handlers_tmp")])
    return app, app.Handlers(app.load_model(args))


def test_a_negative_or_empty_seed_is_refused_with_a_message(handlers):
    app, h = handlers
    name = h.scene_names()[0]
    state = h.pick_scene(name, 0, 2, False, False, None)[0]
    for seed in (-5, -1, None, 2.5):
        state, samples, files, message = h.generate(seed, 2, False, False, state)
        assert message.startswith("error: the seed must be a whole number 0 or more") and "nothing generated" in message
    state, samples, files, message = h.generate(3, 2, False, False, state)
    assert message.startswith("generated 2 samples") and files is None  # a new generation clears old downloads


def test_before_generate_the_samples_box_answers_a_click(handlers):
    app, h = handlers
    state = app.UserState()
    label, instance, _ = h.scene(h.scene_names()[0])
    state.layout = (label, instance, "x")
    assert h.views.samples(state, False) is not None  # a blank strip to click on

    class Click:
        index = (3, 3)
    assert h.click_sample(app.MODES[0], False, state, Click())[-1] == "error: generate first, then click an instance"


def test_a_reference_instance_of_another_class_is_refused(handlers):
    import numpy as np
    app, h = handlers
    names = h.scene_names()
    state = h.pick_scene(names[0], 0, 2, False, False, None)[0]
    state = h.pick_reference(names[1], state)[0]
    session = state.session
    ref_label = np.asarray(state.ref_label)
    target = int(session.ids[-1])
    target_class = session.class_of(target)
    other = [int(i) for i in np.unique(state.reference.instance)
             if np.bincount(ref_label[state.reference.instance == i]).argmax() != target_class]
    same = [int(i) for i in np.unique(state.reference.instance)
            if np.bincount(ref_label[state.reference.instance == i]).argmax() == target_class]
    assert other, "the reference scene should have an instance of another class"
    state.ref_id = other[0]
    with pytest.raises(ValueError, match=rf"reference instance {other[0]} is of class \d+ and instance {target} of "
                                         rf"class {target_class}: a style carries over only within a class"):
        h._operate(state, app.MODES[2], target)
    if same:
        state.ref_id = same[0]
        assert "to the style of" in h._operate(state, app.MODES[2], target).target


def test_sigterm_stops_the_server_cleanly(run, tmp_path):
    import signal
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "app.py"), "--name", "tiny", "--checkpoints_dir",
                             str(run["folder"].parent), "--port", str(port), "--gpu_ids", "-1"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    temp_dir, lines = None, []
    deadline = time.time() + 120
    for line in proc.stdout:
        lines.append(line)
        if "temporary files:" in line:
            temp_dir = line.rsplit("temporary files:", 1)[1].strip()
        if line.startswith("open http://"):
            break
        assert time.time() < deadline, "".join(lines)
    assert temp_dir and os.path.isdir(temp_dir), "".join(lines)
    assert "--share also opens a public link" in lines[-1] and "share=True" not in "".join(lines)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err[-2000:]
    assert "FatalError" not in err and "Traceback" not in err, err[-2000:]
    assert not os.path.exists(temp_dir)
