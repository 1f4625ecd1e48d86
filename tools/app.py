r"""Web demo of instance-level control (Gradio): click an instance, only it changes.

    pip install -r requirements-app.txt
    python tools/app.py                                   # the toy model (trained first if missing)
    python tools/app.py --name my_run --checkpoints_dir ./checkpoints
    python tools/app.py --checkpoint ade20k_G.pdparams --encoder ade20k_E.pdparams --preset ade20k \
        --dataset_mode ade20k --dataroot datasets/ADEChallengeData2016
    python tools/app.py --host 0.0.0.0 --port 8080        # reachable from other machines

Opens on http://127.0.0.1:7860 as ``demo.launch()`` does (``$GRADIO_SERVER_NAME`` and
``$GRADIO_SERVER_PORT`` when set, as hosted Gradio apps such as AI Studio's expect; --share is
off). Layouts come from the dataset's validation scenes or an uploaded label + instance PNG; K
samples are shown side by side; a click on an instance resamples its noise in every sample, or
its whole class with one shared noise, or gives it the style of the instance clicked in a
reference photo. The pixels outside the target keep their values (a composite); "show raw
output" shows what the generator made, where the change also reaches beyond the instance.
Everything the app writes (uploads, pictures, exports) goes to one temporary folder (--temp_dir).
The logic lives in ``paddle_inade.interactive``; this file is the wiring.
"""

import atexit
import functools
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

if __package__:  # imported: tools.<name>, or paddle_inade_tools.<name> of an installed package
    from . import _common  # noqa: F401  (first: Paddle's import noise filtered, CPU set up)
else:  # python tools/<name>.py in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import tools._common as _common  # noqa: E402,F401

MODES = ("resample the instance", "resample its class (one shared noise)", "style of the reference instance")
ZOOM, GAP = 4, 8    # the pictures are shown enlarged 4x, 8 white pixels apart
MAX_SAMPLES = 8


def parse_args(argv=None):
    from paddle_inade.cli import HelpFormatter, add_checkpoint_args, add_data_args
    from paddle_inade.option_parser import OptionParser
    parser = OptionParser(description=__doc__, formatter_class=HelpFormatter)
    add_checkpoint_args(parser)
    add_data_args(parser)
    parser.set_defaults(name=None)  # neither --name nor --checkpoint: the toy model
    parser.add_argument("--n_samples", type=int, default=4, help="samples side by side (K)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--host", help="default: $GRADIO_SERVER_NAME or 127.0.0.1 (this machine only)")
    parser.add_argument("--port", type=int, help="default: $GRADIO_SERVER_PORT or the first free one from 7860")
    parser.add_argument("--share", action="store_true", help="also open a public Gradio link")
    parser.add_argument("--temp_dir", help="where uploads, pictures and exports go (default: a new temporary "
                                           "folder, removed at exit)")
    args = parser.parse_args(argv)
    if not 1 <= args.n_samples <= MAX_SAMPLES:
        parser.error(f"--n_samples must be 1..{MAX_SAMPLES}, got {args.n_samples}")
    return args


# --------------------------------------------------------------------------- model
TOY_TRAIN_ARGS: tuple = ()  # options for the toy model's training beyond the toy preset (none)
DEMO_TITLE = "INADE instance-level control"
WAITING_TITLE = "INADE demo: training the model"


def toy_run_progress(folder: str) -> Optional[tuple]:
    """(steps done, finished) of the training run in ``folder`` from its ``latest`` trainer
    state and ``opt.yaml``; None when nothing was saved yet."""
    from paddle_inade.engine.trainer_state import read_trainer_state
    from paddle_inade.saved_options import read_saved_options
    path = os.path.join(folder, "latest_trainer.pdstate")
    if not os.path.isfile(path) or not os.path.isfile(os.path.join(folder, "latest_net_G.pdparams")):
        return None
    state, saved = read_trainer_state(path), read_saved_options(folder)
    train = saved.train if saved is not None else {}
    max_steps, epochs = train.get("max_steps"), train.get("niter", 0) + train.get("niter_decay", 0)
    finished = (max_steps is not None and state["total_steps"] >= max_steps) or state["epoch"] > epochs
    return state["total_steps"], finished


def ensure_toy_model(checkpoints_dir: str, train_args=(), on_step=None, should_stop=None) -> str:
    """The default model's folder, ``checkpoints_dir/toy_inade``, after training it (the toy
    preset, a progress bar in the console) when it has no finished run: from the start, or
    from its ``latest`` checkpoint when a run was stopped. ``on_step``, ``should_stop``: see
    :class:`paddle_inade.engine.trainer.Trainer`."""
    folder = os.path.join(checkpoints_dir, "toy_inade")
    progress = toy_run_progress(folder)
    if progress is None or not progress[1]:
        from paddle_inade.training_cli import main as train
        resume = ["--continue_train"] if progress is not None else []
        print(f"no finished model in {folder}: training the toy model first"
              + (f" (resumed after step {progress[0]})" if progress else "")
              + "; about 4.5 minutes on 2 CPU cores", flush=True)
        train(["--checkpoints_dir", checkpoints_dir, *resume, *train_args], should_stop=should_stop,
              on_step=on_step)
    return folder


class TrainingProgress:
    """What the waiting page shows: ``progress(done, total)`` is the trainer's ``on_step``."""

    def __init__(self, folder: str):
        self.folder, self.done, self.total = folder, None, None
        self.start = self.first = time.monotonic()
        self.first_done = self.finished_at = None

    def __call__(self, done: int, total: int) -> None:
        if self.first_done is None:
            self.first_done, self.first = done, time.monotonic()
        self.done, self.total = done, total
        if done >= total:
            self.finished_at = time.monotonic()

    def text(self) -> str:
        elapsed = time.monotonic() - self.start
        if self.done is None:
            return f"preparing the training ({elapsed:.0f} s)"
        rate = (time.monotonic() - self.first) / max(self.done - self.first_done, 1)
        left = rate * (self.total - self.done) if self.done > self.first_done else None
        return (f"step {self.done} / {self.total}, {elapsed / 60:.1f} min so far"
                + (f", about {left / 60:.1f} min left" if left is not None else ""))


def build_waiting_page(progress: TrainingProgress):
    """The page served on the demo's address while the toy model trains."""
    import gradio as gr
    with gr.Blocks(title=WAITING_TITLE) as page:
        gr.Markdown(f"## INADE: instance-level control\nThere is no finished model in `{progress.folder}` yet: "
                    "the toy model is being trained first (about 4.5 minutes on 2 CPU cores). This page becomes "
                    "the demo by itself when the model is ready.")
        status = gr.Markdown(progress.text(), elem_id="training_status")
        timer = gr.Timer(TICK_SECONDS)
        # once the training is done the page stops asking: the demo that takes over this address
        # would take a tick for one of its own events
        timer.tick(lambda: (progress.text(), gr.Timer(active=progress.finished_at is None)), None,
                   [status, timer])
    return page


TICK_SECONDS = 2.0


# polls the address; once the demo answers there (its title in the HTML), the page reloads into it
# (the title is put together in the browser: this page's own HTML, which holds this code, must not match)
RELOAD_JS = """() => { const title = %s.join(" ");
  const poll = async () => {
    try { const html = await (await fetch(location.href, {cache: "no-store"})).text();
          if (html.includes(title)) { location.reload(); return; } } catch (e) {}
    setTimeout(poll, 2000); };
  setTimeout(poll, 2000); }""" % json.dumps(DEMO_TITLE.split(" "))


def train_behind_page(args) -> int:
    """Train the toy model while the waiting page is served where the demo will be; 0 when
    the model is ready (``args.port``: the port to reuse), else the exit status after a
    SIGINT / SIGTERM (``latest`` saved, one line on how to go on)."""
    import signal
    from paddle_inade.engine.trainer import TrainingInterrupted
    from tools.train import StopOnSignal
    import logging
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("paddle_inade").setLevel(logging.INFO)  # the trainer's lines, not the server's
    progress = TrainingProgress(os.path.join(args.checkpoints_dir, "toy_inade"))
    page = build_waiting_page(progress)
    page.queue().launch(server_name=args.host, server_port=args.port, quiet=True, prevent_thread_lock=True,
                        js=RELOAD_JS)
    args.port = page.server_port
    print(f"open {page.local_url} in a browser: it shows the training's progress, then the demo", flush=True)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    stop = StopOnSignal()
    try:
        ensure_toy_model(args.checkpoints_dir, TOY_TRAIN_ARGS, on_step=progress, should_stop=stop)
    except TrainingInterrupted as exc:
        print(f"\n{stop.name}: stopped after step {exc.state.total_steps}, saved {exc.directory}/latest_*; "
              "run the app again to resume the training", file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:
        print(f"\n{stop.name or 'interrupted'}: stopped before a step finished; the last saved checkpoint "
              "is kept", file=sys.stderr)
        return stop.exit_code or 130
    finally:
        if progress.finished_at is not None:  # every open page has ticked once since (and stopped)
            time.sleep(max(0.0, progress.finished_at + 1.5 * TICK_SECONDS - time.monotonic()))
        page.close()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    args.name = "toy_inade"
    return 0


@dataclass
class Model:
    """What every browser session shares: the pipeline, the scenes, the temp folder, a lock."""

    pipe: object
    scenes: object  # paddle_inade.interactive.Scenes or None
    temp_dir: str
    n_samples: int
    seed: int
    source: str
    notes: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_model(args) -> Model:
    from paddle_inade.cli import data_values, model_source, pipeline_from_source
    from paddle_inade.data import DataConfig
    from paddle_inade.interactive import Scenes
    if not args.name and not args.checkpoint:
        args.name = os.path.basename(ensure_toy_model(args.checkpoints_dir, TOY_TRAIN_ARGS))
    source = model_source(args)
    if not source.cfg.is_inade:
        raise ValueError(f"{source.generator}: a {source.cfg.norm_mode} model; the app needs norm_mode inade")
    pipe = pipeline_from_source(source, args.gpu_ids)
    notes = []
    try:  # the validation scenes of the run's dataset (or of --dataset_mode/--dataroot)
        scenes = Scenes(DataConfig.from_dict(data_values(args, source), source="data options"))
    except (ValueError, FileNotFoundError) as exc:
        scenes = None
        notes.append(f"no validation scenes ({exc}): upload a layout, or give --dataset_mode and --dataroot")
    if pipe.netE is None:
        notes.append("no encoder: restyling from a reference photo is off")
    return Model(pipe, scenes, args.temp_dir, args.n_samples, args.seed, source.generator, notes)


# --------------------------------------------------------------------------- per-browser state
@dataclass
class UserState:
    layout: Optional[tuple] = None        # (label, instance, name)
    session: object = None                # InstanceSession
    reference: object = None              # ReferenceStyles
    ref_photo: object = None
    ref_name: str = ""
    ref_id: Optional[int] = None
    ref_label: object = None              # the reference's label map when known (a validation scene)
    actions: int = 0                      # numbers the status lines of this page


def _short(exc: Exception, *paths) -> str:
    """The message with uploaded files' temporary folders left out."""
    text = str(exc)
    for path in paths:
        if path:
            text = text.replace(path, os.path.basename(path))
    return text


class Views:
    """Pictures of a state (all uint8 RGB arrays)."""

    def __init__(self, model: Model):
        self.model = model

    def layout(self, state: UserState):
        from paddle_inade.data.visualize import colorize_label, instance_boundaries
        from paddle_inade.interactive import tile_strip
        if state.layout is None:
            return None
        label, instance, _ = state.layout
        picture = instance_boundaries(instance, colorize_label(label, self.model.pipe.cfg.label_channels))
        return tile_strip(picture[None], ZOOM, GAP)

    def samples(self, state: UserState, raw: bool):
        import numpy as np

        from paddle_inade.interactive import tile_strip
        if state.session is None:  # a blank strip: a click on it says to generate first
            if state.layout is None:
                return None
            h, w = state.layout[0].shape
            return tile_strip(np.full((self.model.n_samples, h, w, 3), 235, np.uint8), ZOOM, GAP)
        return tile_strip(state.session.raw if raw else state.session.images, ZOOM, GAP)

    def reference(self, state: UserState):
        from paddle_inade.data.visualize import instance_boundaries
        from paddle_inade.interactive import outline, tile_strip
        if state.reference is None:
            return None
        picture = instance_boundaries(state.reference.instance, state.ref_photo)
        if state.ref_id is not None:
            picture = outline(picture, state.reference.instance == state.ref_id, (255, 0, 255))
        return tile_strip(picture[None], ZOOM, GAP)


def _check_same_class(state: UserState, target_class: int, instance_id: int) -> None:
    """A style carries over within a class (each class has its own distribution): a reference
    instance of another class is refused, when the reference's classes are known."""
    import numpy as np
    if state.ref_label is None:
        return
    mask = state.reference.instance == state.ref_id
    ref_class = int(np.bincount(np.asarray(state.ref_label)[mask].astype(np.int64)).argmax())
    if ref_class != target_class:
        raise ValueError(f"reference instance {state.ref_id} is of class {ref_class} and instance {instance_id} "
                         f"of class {target_class}: a style carries over only within a class; click a "
                         f"class-{target_class} instance in the reference")


# --------------------------------------------------------------------------- handlers
class Handlers:
    """Gradio callbacks: each returns the new state, pictures and a status line."""

    def __init__(self, model: Model):
        self.model, self.views = model, Views(model)

    # -- layouts
    def _set_layout(self, state: UserState, label, instance, name, seed, n_samples, class_level, raw, notes):
        state.layout = (label, instance, name)
        state.session = None
        message = self._generate(state, seed, n_samples, class_level)
        return self._layout_out(state, raw, "; ".join([*notes, message]))

    def _layout_out(self, state, raw, message):
        """(state, layout, samples, downloads, scene dropdown, status): a new layout clears the
        downloads of the previous samples; the dropdown names the scene shown (none for an upload)."""
        layout = state.layout
        scene = layout[2] if layout is not None and self.model.scenes is not None and \
            layout[2] in self.scene_names() else None
        return state, self.views.layout(state), self.views.samples(state, raw), None, scene, message

    def scene_names(self) -> list:
        scenes = self.model.scenes
        return [scenes.name(i) for i in range(len(scenes))] if scenes is not None else []

    def scene(self, name):
        """(label, instance, photo) of the validation scene ``name``."""
        scenes = self.model.scenes
        return scenes[[scenes.name(i) for i in range(len(scenes))].index(name)]

    def pick_scene(self, name, seed, n_samples, class_level, raw, state):
        state = state or UserState()
        if self.model.scenes is None or name is None:
            return self._layout_out(state, raw, "no validation scenes: upload a layout")
        label, instance, _ = self.scene(name)
        return self._set_layout(state, label, instance, name, seed, n_samples, class_level, raw, [])

    def upload_layout(self, label_file, instance_file, seed, n_samples, class_level, raw, state):
        from paddle_inade.interactive import read_layout_files
        state = state or UserState()
        label_path, instance_path = label_file, instance_file  # paths (gr.File type="filepath")
        if label_path is None:
            return self._layout_out(state, raw, "error: choose a label map PNG first")
        try:
            label, instance, notes = read_layout_files(label_path, instance_path, self.model.pipe.cfg)
        except (ValueError, OSError) as exc:
            return self._layout_out(state, raw, f"error: {_short(exc, label_path, instance_path)}; "
                                                "the layout is unchanged")
        return self._set_layout(state, label, instance, os.path.basename(label_path), seed, n_samples,
                                class_level, raw, notes)

    # -- generation
    def _generate(self, state: UserState, seed, n_samples, class_level) -> str:
        from paddle_inade.interactive import InstanceSession
        if state.layout is None:
            return "error: choose a layout first (a validation scene or an upload)"
        if seed is None or int(seed) < 0 or int(seed) != seed:
            return f"error: the seed must be a whole number 0 or more, got {seed}; nothing generated"
        label, instance, name = state.layout
        with self.model.lock:
            state.session = InstanceSession(self.model.pipe, label, instance, int(n_samples), int(seed),
                                            class_level=bool(class_level))
        kind = "one noise per class" if class_level else "one noise per instance"
        return (f"generated {int(n_samples)} samples of {name} (seed {int(seed)}, {kind}, "
                f"{state.session.n_instances} instances): click an instance")

    def generate(self, seed, n_samples, class_level, raw, state):
        state = state or UserState()
        message = self._generate(state, seed, n_samples, class_level)
        return state, self.views.samples(state, raw), None, message  # None: the old downloads go

    def show(self, raw, state):
        state = state or UserState()
        what = "the raw output (no composite)" if raw else "the composite (pixels outside each target kept)"
        return state, self.views.samples(state, raw), f"showing {what}"

    # -- clicks
    def click_sample(self, mode, raw, state, evt):
        from paddle_inade.interactive import locate
        state = state or UserState()
        session = state.session
        if session is None:
            return state, None, "error: generate first, then click an instance"
        x, y = evt.index[0], evt.index[1]
        h, w = session.label.shape
        where = locate(x, y, session.n_samples, h, w, ZOOM, GAP)
        if where is None:
            return state, self.views.samples(state, raw), (f"no instance at ({x}, {y}): that is between the "
                                                           "pictures; click inside one")
        _, row, col = where
        instance_id = session.instance_at(row, col)
        try:
            with self.model.lock:
                change = self._operate(state, mode, instance_id)
        except ValueError as exc:
            return state, self.views.samples(state, raw), f"error: {exc}"
        shown = "raw output shown" if raw else "shown: only its pixels replaced (composite)"
        return state, self.views.samples(state, raw), f"changed {change.target}; {shown}. {change.leak.describe()}"

    def _operate(self, state: UserState, mode: str, instance_id: int):
        session = state.session
        if mode == MODES[1]:
            return session.resample_class(session.class_of(instance_id))
        if mode == MODES[2]:
            if state.reference is None or state.ref_id is None:
                raise ValueError("choose a reference and click one of its instances first")
            _check_same_class(state, session.class_of(instance_id), instance_id)
            return session.restyle(instance_id, state.reference.of(state.ref_id),
                                   f"{state.ref_name} instance {state.ref_id}")
        return session.resample(instance_id)

    # -- references
    def _set_reference(self, state, photo, instance, name, notes, label=None):
        from paddle_inade.interactive import ReferenceStyles
        if self.model.pipe.netE is None:
            return state, None, "error: this model has no encoder, so no reference styles"
        with self.model.lock:
            state.reference = ReferenceStyles(self.model.pipe, photo, instance)
        state.ref_photo, state.ref_name, state.ref_id, state.ref_label = photo, name, None, label
        return state, self.views.reference(state), "; ".join(
            [*notes, f"reference {name}: click one of its instances"])

    def pick_reference(self, name, state):
        state = state or UserState()
        if self.model.scenes is None or name is None:
            return state, None, "no validation scenes: upload a reference photo"
        label, instance, photo = self.scene(name)
        return self._set_reference(state, photo, instance, name, [], label)

    def upload_reference(self, photo_file, instance_file, state):
        from paddle_inade.interactive import read_reference_files
        state = state or UserState()
        photo_path, instance_path = photo_file, instance_file
        if photo_path is None:
            return state, self.views.reference(state), "error: choose a reference photo first"
        try:
            photo, instance, notes = read_reference_files(photo_path, instance_path, self.model.pipe.cfg)
        except (ValueError, OSError) as exc:
            return state, self.views.reference(state), (f"error: {_short(exc, photo_path, instance_path)}; "
                                                        "the reference is unchanged")
        notes = [*notes, "its classes are unknown (no label map): pick a reference instance of the same "
                 "class as the one you restyle"]
        return self._set_reference(state, photo, instance, os.path.basename(photo_path), notes)

    def click_reference(self, state, evt):
        from paddle_inade.interactive import locate
        state = state or UserState()
        if state.reference is None:
            return state, None, "error: choose a reference first"
        h, w = state.reference.instance.shape
        where = locate(evt.index[0], evt.index[1], 1, h, w, ZOOM, GAP)
        if where is None:
            return state, self.views.reference(state), "no reference instance there: click inside the photo"
        state.ref_id = state.reference.instance_at(where[1], where[2])
        return state, self.views.reference(state), (
            f"reference instance {state.ref_id} chosen: pick '{MODES[2]}' and click an instance of a sample")

    # -- export
    def export(self, raw, state):
        from paddle_inade.interactive import export_pngs
        state = state or UserState()
        if state.session is None:
            return state, None, "error: generate first"
        images = state.session.raw if raw else state.session.images
        paths = export_pngs(images, os.path.join(self.model.temp_dir, "exports"))
        return state, paths, f"exported {len(paths)} PNGs ({'raw' if raw else 'composite'})"


# --------------------------------------------------------------------------- page
def build_demo(model: Model):
    import gradio as gr
    h = Handlers(model)
    names = [model.scenes.name(i) for i in range(len(model.scenes))] if model.scenes is not None else []
    intro = ("Click an instance in a sample: only that instance changes in all samples. Modes: its own new "
             "noise, one shared noise for its whole class (class-level control, as SPADE-like models do), or the "
             "style of an instance clicked in the reference photo (the encoder). Pixels outside the target keep "
             "their values; tick *show raw output* to see the generator's own output, where the change also "
             "reaches beyond the instance: strongly a few pixels around it, weakly further away.")
    with gr.Blocks(title=DEMO_TITLE) as demo:
        state = gr.State(None)
        gr.Markdown(f"## INADE: instance-level control\nModel: `{model.source}`. {intro}")
        for note in model.notes:
            gr.Markdown(f"*{note}*")
        with gr.Row():
            with gr.Column(scale=1):
                scene = gr.Dropdown(names, value=names[0] if names else None, label="validation scene",
                                    elem_id="scene")
                label_file = gr.File(label="or upload: label map PNG (class ids)", type="filepath",
                                     elem_id="label_file")
                instance_file = gr.File(label="instance map PNG (ids)", type="filepath",
                                        elem_id="instance_file")
                use_layout = gr.Button("Use uploaded layout", elem_id="use_layout")
                layout_view = gr.Image(label="layout (classes, instance boundaries)", interactive=False,
                                       elem_id="layout", format="png")
            with gr.Column(scale=3):
                with gr.Row():
                    seed = gr.Number(model.seed, label="seed", precision=0, minimum=0, elem_id="seed")
                    n_samples = gr.Slider(1, MAX_SAMPLES, value=model.n_samples, step=1, label="samples (K)",
                                          elem_id="n_samples")
                    generate = gr.Button("Generate", variant="primary", elem_id="generate")
                mode = gr.Radio(list(MODES), value=MODES[0], label="a click on a sample:", elem_id="mode")
                with gr.Row():  # (beside the seed, a narrow window cut its label)
                    class_level = gr.Checkbox(False, label="one noise per class (not per instance)",
                                              elem_id="class_level")
                    raw = gr.Checkbox(False, label="show raw output (no composite)", elem_id="raw")
                samples = gr.Image(label="samples (click an instance)", interactive=False, elem_id="samples",
                                   format="png")
                status = gr.Markdown("choose a layout, then Generate", elem_id="status")
                with gr.Row():
                    export = gr.Button("Export PNGs", elem_id="export")
                    files = gr.File(label="download", file_count="multiple", interactive=False, elem_id="files")
        with gr.Row():
            with gr.Column(scale=1):
                ref_scene = gr.Dropdown(names, value=names[1] if len(names) > 1 else None,
                                        label="reference scene", elem_id="ref_scene")
                ref_photo_file = gr.File(label="or upload: reference photo", type="filepath",
                                         elem_id="ref_photo_file")
                ref_instance_file = gr.File(label="its instance map PNG (optional)", type="filepath",
                                            elem_id="ref_instance_file")
                use_ref = gr.Button("Use uploaded reference", elem_id="use_ref")
            with gr.Column(scale=3):
                ref_view = gr.Image(label="reference (click an instance)", interactive=False, elem_id="reference",
                                    format="png")

        def numbered(fn):
            """The handler's status line (its last output) numbered per page, so every answer is new."""
            @functools.wraps(fn)
            def wrapper(*args):
                out = fn(*args)
                out[0].actions += 1
                return (*out[:-1], f"[{out[0].actions}] {out[-1]}")
            return wrapper

        def on_sample(mode_value, raw_value, state_value, evt: gr.SelectData):
            return numbered(h.click_sample)(mode_value, raw_value, state_value, evt)

        def on_reference(state_value, evt: gr.SelectData):
            return numbered(h.click_reference)(state_value, evt)

        gen_inputs = [seed, n_samples, class_level, raw, state]
        layout_outputs = [state, layout_view, samples, files, scene, status]
        scene.input(numbered(h.pick_scene), [scene, *gen_inputs], layout_outputs)
        use_layout.click(numbered(h.upload_layout), [label_file, instance_file, *gen_inputs], layout_outputs)
        generate.click(numbered(h.generate), gen_inputs, [state, samples, files, status])
        raw.input(numbered(h.show), [raw, state], [state, samples, status])
        samples.select(on_sample, [mode, raw, state], [state, samples, status])
        ref_scene.input(numbered(h.pick_reference), [ref_scene, state], [state, ref_view, status])
        use_ref.click(numbered(h.upload_reference), [ref_photo_file, ref_instance_file, state],
                      [state, ref_view, status])
        ref_view.select(on_reference, [state], [state, ref_view, status])
        export.click(numbered(h.export), [raw, state], [state, files, status])

        def on_load():  # the page opens on the first scene's layout; Generate makes the samples
            st = UserState()
            if names:
                label, instance, _ = h.scene(names[0])
                st.layout = (label, instance, names[0])
            if len(names) > 1 and model.pipe.netE is not None:
                st = h.pick_reference(names[1], st)[0]
            return st, h.views.layout(st), h.views.samples(st, False), h.views.reference(st)

        demo.load(on_load, None, [state, layout_view, samples, ref_view])
    return demo


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.temp_dir is None:  # ours: removed at exit
        args.temp_dir = tempfile.mkdtemp(prefix="paddle_inade_app_")
        atexit.register(shutil.rmtree, args.temp_dir, ignore_errors=True)
    args.temp_dir = os.path.abspath(args.temp_dir)
    os.makedirs(args.temp_dir, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = args.temp_dir  # read when gradio is imported: uploads land here
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio  # noqa: F401
    except ImportError:
        print("error: the app needs Gradio: pip install -r requirements-app.txt", file=sys.stderr)
        return 2
    from paddle_inade.engine.trainer import TrainingDiverged
    stopped = _stop_on_sigterm()
    try:
        if not args.name and not args.checkpoint and not _toy_model_ready(args.checkpoints_dir):
            code = train_behind_page(args)
            if code:
                return code
        model = load_model(args)
    except (ValueError, FileNotFoundError, FileExistsError, TrainingDiverged) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a signal while the model loads
        return 143 if stopped else 130
    demo = build_demo(model)
    print(f"model: {model.source}; temporary files: {args.temp_dir}")
    try:
        demo.queue(default_concurrency_limit=1).launch(server_name=args.host, server_port=args.port,
                                                       share=args.share, show_error=True, quiet=True,
                                                       allowed_paths=[args.temp_dir], prevent_thread_lock=True)
        print(f"open {demo.local_url} in a browser" + (f" or {demo.share_url}" if demo.share_url else
                                                      " (--share also opens a public link)"), flush=True)
        demo.block_thread()  # until Ctrl-C or SIGTERM; the temporary folder is removed at exit
    except KeyboardInterrupt:  # a signal before block_thread took over (it closes the server itself)
        demo.close()
        return 143 if stopped else 130
    return 143 if stopped else 0


def _toy_model_ready(checkpoints_dir: str) -> bool:
    progress = toy_run_progress(os.path.join(checkpoints_dir, "toy_inade"))
    return progress is not None and progress[1]


def _stop_on_sigterm() -> list:
    """SIGTERM ends the server as Ctrl-C does (closed, temporary folder removed at exit), instead
    of Paddle's own handler's 'FatalError' banner. The returned list is non-empty once it came."""
    import signal
    stopped: list = []

    def handler(signum, frame):
        stopped.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    return stopped


if __name__ == "__main__":
    sys.exit(main())
