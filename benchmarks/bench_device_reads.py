"""Device reads (the calls that wait for a GPU) on the hot paths, and their CPU time, before / after.

1. Counts the reads of tensor values (``Tensor.numpy``, ``bool``, ``int``, ``float``, ``item``,
   ``tolist``) of ``preprocess_input``, the encoder and generator forwards and one training
   iteration (toy preset with encoder, no VGG loss), on a git revision and on the working tree.
2. Times, in one process and round-robin, the revision's and the working tree's
   ``preprocess_input``, ``IndexMaps.maybe``, encoder and generator (ADE20K preset, eval, batch 1,
   12 instances; same weights, outputs compared) and the encoder's boundary geometries (nine calls
   before, one after). Both trees' packages are imported under the same name one after the other.
3. Times the two geometry implementations on the CPU (host numpy, device Paddle ops).

    python benchmarks/bench_device_reads.py [--rev d9446d4] [--size 256] [--repeats 7]
"""
from __future__ import annotations

import argparse
import collections
import importlib
import subprocess
import sys
import tempfile

import common  # noqa: F401  (threads, the working tree on sys.path)

import numpy as np

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--rev", default="d9446d4", help="the 'before' revision (default: before the device work)")
parser.add_argument("--size", type=int, default=256)
parser.add_argument("--repeats", type=int, default=7)
parser.add_argument("--no-tune-malloc", action="store_true", help="keep glibc's default malloc settings")
args = parser.parse_args()

READS = ("numpy", "__bool__", "__int__", "__float__", "item", "tolist")


def load_tree(root: str) -> dict:
    """Import the paddle_inade package found at ``root``; returns its modules by name."""
    for name in [k for k in sys.modules if k == "paddle_inade" or k.startswith("paddle_inade.")]:
        del sys.modules[name]
    sys.path.insert(0, root)
    try:
        for name in ("paddle_inade", "paddle_inade.models.preprocess", "paddle_inade.nn.index_maps",
                     "paddle_inade.nn.fast_instance_conv", "paddle_inade.engine.model",
                     "paddle_inade.engine.step"):
            importlib.import_module(name)
    finally:
        sys.path.remove(root)
    mods = {k: v for k, v in sys.modules.items() if k == "paddle_inade" or k.startswith("paddle_inade.")}
    assert mods["paddle_inade"].__file__.startswith(root), mods["paddle_inade"].__file__
    return mods


class ReadCounter:
    """Counts reads of tensor values while active (wraps the Tensor methods that copy to the host).
    Nested reads (``int`` calling ``numpy``) count once."""

    def __init__(self):
        import paddle
        self.tensor, self.count, self.depth, self.saved = paddle.Tensor, 0, 0, {}

    def __enter__(self):
        for name in READS:
            original = self.saved[name] = getattr(self.tensor, name)

            def counted(t, *a, _original=original, **k):
                self.count += self.depth == 0
                self.depth += 1
                try:
                    return _original(t, *a, **k)
                finally:
                    self.depth -= 1

            setattr(self.tensor, name, counted)
        return self

    def __exit__(self, *exc):
        for name, original in self.saved.items():
            setattr(self.tensor, name, original)


def read_counts(m: dict) -> dict:
    """Reads per call of each hot path, for the tree whose modules are ``m``."""
    import paddle
    pk = m["paddle_inade"]
    cfg = pk.INADEConfig.preset("toy", crop_size=64, no_vgg_loss=True)
    labels, inst = common.synthetic_scene(2, 64, 64, 4, cfg.label_channels)
    data = {"label": labels[:, None], "instance": inst[:, None],
            "image": np.random.RandomState(0).rand(2, 3, 64, 64).astype("float32") * 2 - 1}
    model = m["paddle_inade.engine.model"].Pix2PixModel(cfg)
    model.train()
    step = m["paddle_inade.engine.step"]
    opt_g = paddle.optimizer.Adam(parameters=model.generator_parameters())
    opt_d = paddle.optimizer.Adam(parameters=model.netD.parameters())
    tensors = {k: paddle.to_tensor(v) for k, v in data.items()}
    inputs = pk.preprocess_input(data, cfg)
    semantics, image, instances, _ = inputs
    calls = {"preprocess_input (numpy batch)": lambda: pk.preprocess_input(data, cfg),
             "preprocess_input (tensors)": lambda: pk.preprocess_input(tensors, cfg),
             "encoder forward": lambda: model.netE(image, instances),
             "generator forward": lambda: model.netG(semantics, input_instances=instances),
             "training iteration": lambda: (step.generator_step(model, opt_g, pk.preprocess_input(data, cfg)),
                                            step.discriminator_step(model, opt_d, inputs))}
    out = {}
    for name, fn in calls.items():
        fn()
        with ReadCounter() as counter:
            fn()
        out[name] = counter.count
    return out


def timed_paths(m: dict, tag: str, weights: dict | None):
    """(functions to time, nets) for one tree; ``weights``: state dicts to load (same weights)."""
    import paddle
    pk = m["paddle_inade"]
    cfg = pk.INADEConfig.preset("ade20k", crop_size=args.size)
    G, E = pk.build_generator(cfg), pk.build_encoder(cfg)
    if weights:
        G.set_state_dict(weights["G"]), E.set_state_dict(weights["E"])
    G.eval(), E.eval()
    s = args.size
    labels, inst = common.synthetic_scene(1, s, s, 12, cfg.label_channels)
    data = {"label": labels[:, None], "instance": inst[:, None]}
    paddle.seed(1)
    sem, _, instances, _ = pk.preprocess_input(data, cfg)
    image = paddle.rand([1, 3, s, s]) * 2 - 1
    noise, noise_ins = paddle.randn([1, 12, 2, cfg.noise_nc]), paddle.randn([1, cfg.z_dim])
    seg = sem[:, :cfg.label_channels]
    maps = m["paddle_inade.nn.index_maps"].IndexMaps
    fns = {f"preprocess_input {tag}": lambda: pk.preprocess_input(data, cfg),
           f"IndexMaps.maybe {tag}": lambda: maps.maybe(seg, instances),
           f"encoder {tag}": lambda: E(image, instances),
           f"generator {tag}": lambda: G(sem, input_instances=instances, noise=noise, noise_ins=noise_ins)}
    ids = paddle.argmax(instances, axis=1, keepdim=True).astype("float32")
    if hasattr(E, "geometries"):
        fns[f"encoder geometries {tag}"] = lambda: E.geometries(ids, {})  # also resizes, once per size
    else:
        conv = m["paddle_inade.nn.fast_instance_conv"]
        scales = ((1, 2), (2, 2), (4, 2), (8, 2), (16, 1), (8, 1), (4, 1), (2, 1), (1, 1))
        def per_layer():  # as the layers did it: resize, then the geometry, in each of them
            resize = paddle.nn.functional.interpolate
            return [conv.instance_conv_geometry(ids if d == 1 else resize(ids, size=[s // d, s // d], mode="nearest"),
                                                3, st, 1) for d, st in scales]

        fns[f"encoder geometries {tag}"] = per_layer
    outputs = lambda: [t.numpy() for t in (*E(image, instances), fns[f"generator {tag}"]())]
    return fns, {"G": G.state_dict(), "E": E.state_dict()}, outputs


def geometry_impls() -> dict:
    import paddle
    from paddle_inade.nn.geometry_choice import instance_conv_geometries
    from paddle_inade.nn.instance_geometry import ConvSpec
    s = args.size
    _, inst = common.synthetic_scene(1, s, s, 12, 151)
    ids = paddle.to_tensor(np.asarray(inst)[:, None].astype("float32"))
    specs = [ConvSpec(s // d, s // d, 3, st, 1) for d, st in ((1, 2), (2, 2), (4, 2), (8, 2), (16, 1),
                                                             (8, 1), (4, 1), (2, 1), (1, 1))]
    return {f"geometries impl={impl}": (lambda impl=impl: instance_conv_geometries(ids, specs, impl=impl))
            for impl in ("host", "device")}


def main() -> None:
    import paddle
    if not args.no_tune_malloc:
        from paddle_inade.device import tune_malloc
        tune_malloc()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(common.ROOT), "archive", args.rev], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        trees = {"before": load_tree(tmp)}
        counts = {"before": read_counts(trees["before"])}
        fns, weights, out_before = timed_paths(trees["before"], "before", None)
        trees["after"] = load_tree(str(common.ROOT))
        counts["after"] = read_counts(trees["after"])
        fns_after, _, out_after = timed_paths(trees["after"], "after", weights)
        fns.update(fns_after)
        fns.update(geometry_impls())
        with paddle.no_grad():
            same = all(np.array_equal(a, b) for a, b in zip(out_before(), out_after()))
            t = common.time_interleaved(fns, repeats=args.repeats)
    print(f"# before = {args.rev}, after = working tree; this machine: {common.machine()}")
    print("device reads per call (toy preset, batch 2, 64x64, encoder; a GPU waits at each):")
    for name in counts["after"]:
        print(f"  {name:32s} before {counts['before'][name]:3d}   after {counts['after'][name]:3d}")
    print(f"CPU time, ADE20K preset {args.size}x{args.size}, eval, 12 instances, one process, round-robin, "
          f"min of {args.repeats}; outputs identical: {same}")
    for what in ("preprocess_input", "IndexMaps.maybe", "encoder", "generator", "encoder geometries"):
        b, a = t[f"{what} before"], t[f"{what} after"]
        print(f"  {what:20s} before {common.fmt_ms(b)}   after {common.fmt_ms(a)}   after / before {a / b:.3f}")
    host, device = t["geometries impl=host"], t["geometries impl=device"]
    print(f"  encoder geometries on the CPU: host (numpy) {common.fmt_ms(host)}, device (Paddle ops) "
          f"{common.fmt_ms(device)}: the CPU takes the host one")


if __name__ == "__main__":
    main()
