"""InstanceSession: K samples of one layout whose instances are changed one at a time.

The web demo (``tools/app.py``) drives it; NumPy in, NumPy out, nothing of a UI here.

    session = InstanceSession(pipe, label, instance, n_samples=4, seed=0)
    session.images                              # uint8 [S, H, W, 3] (composite, see below)
    change = session.resample(session.instance_at(20, 31))   # new noise for that instance
    change.leak                                 # how far the raw output changed outside it

Every sample ``s`` holds its own start vector ``noise_ins[s]`` and per-instance noise
``noise[s, k]``; every instance ``k`` has a style (mean and log-variance of its noise, the
prior N(0, 1) until a reference instance is given). All randomness comes from the
session's own ``numpy.random.Generator`` (seeded), never from Paddle's global stream.

The generator's convolutions (and its coarse 2x2 ... 8x8 blocks, where one cell covers
several instances) carry a change of one instance's noise beyond the instance: strongly
in a band a few pixels wide, weakly over much of the picture (``benchmarks/bench_app.py``
measures it). So the session keeps two views: :attr:`InstanceSession.images`, where an
operation replaces only the pixels of its target and every other pixel keeps its
previous value (a composite), and :attr:`InstanceSession.raw`, the generator's output
under the current noises. Each :class:`Change` reports the raw output's leak
(:func:`measure_leak`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..noise import draw_noises
from ..pipeline import STYLE_KEYS, INADEPipeline, Layout

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- leak
@dataclass(frozen=True)
class Leak:
    """How a raw output differs from the previous one, outside and inside the target.

    ``outside_changed``: fraction of pixels outside the target (over all samples) with any
    channel changed; ``outside_max`` / ``outside_mean``: largest / mean absolute change
    there (0..255 levels); ``inside_changed``: fraction of target pixels that changed.
    """

    outside_changed: float
    outside_max: int
    outside_mean: float
    inside_changed: float

    def describe(self) -> str:
        return (f"raw output: {100 * self.inside_changed:.0f}% of the target's pixels changed; outside it "
                f"{100 * self.outside_changed:.1f}% changed (mean {self.outside_mean:.2f}, "
                f"max {self.outside_max} of 255 levels)")


def measure_leak(before: np.ndarray, after: np.ndarray, mask: np.ndarray) -> Leak:
    """Compare uint8 [S, H, W, 3] images around a bool [H, W] target mask."""
    diff = np.abs(after.astype(np.int16) - before.astype(np.int16)).max(axis=-1)  # [S, H, W]
    outside, inside = diff[:, ~mask], diff[:, mask]
    return Leak(outside_changed=float((outside > 0).mean()) if outside.size else 0.0,
                outside_max=int(outside.max()) if outside.size else 0,
                outside_mean=float(outside.mean()) if outside.size else 0.0,
                inside_changed=float((inside > 0).mean()) if inside.size else 0.0)


@dataclass
class Change:
    """What one operation did: its ``target`` (words), ``mask`` bool [H, W], the new raw
    output uint8 [S, H, W, 3] and its :class:`Leak` against the previous raw output."""

    target: str
    mask: np.ndarray
    raw: np.ndarray
    leak: Leak


# --------------------------------------------------------------------------- session
class InstanceSession:
    """K samples of one layout with explicit, per-instance noises.

    Args:
        pipe: an inade :class:`~paddle_inade.pipeline.INADEPipeline` (an encoder is needed
            only for :meth:`restyle`'s reference styles, see :func:`reference_styles`).
        label, instance: [H, W] integer maps of the model's size (instance ids any integers).
        n_samples: S, the samples shown side by side.
        seed: seeds the session's generator; every later draw continues it.
        class_level: draw one noise per class instead of one per instance.
    """

    def __init__(self, pipe: INADEPipeline, label, instance, n_samples: int = 4, seed: int = 0,
                 class_level: bool = False):
        if not pipe.cfg.is_inade:
            raise ValueError("instance-level control needs an inade model (norm_mode inade)")
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be >= 1, got {n_samples}")
        layout = Layout(label, instance, pipe.cfg)
        if layout.batch != 1:
            raise ValueError(f"one layout at a time: got a batch of {layout.batch}")
        expected = tuple(pipe.cfg.image_size)
        if layout.label.shape[1:] != expected:
            raise ValueError(f"the layout is {layout.label.shape[1]}x{layout.label.shape[2]} (HxW) but the "
                             f"model makes {expected[0]}x{expected[1]} images")
        self.pipe, self.n_samples = pipe, int(n_samples)
        self.label, self.instance = layout.label[0], np.asarray(instance).reshape(expected).astype(np.int64)
        self.ids = layout.ids[0]
        self.index = layout.compact[0]  # [H, W] positions in ids
        self.reseed(seed, class_level)

    # ------------------------------------------------------------------ queries
    @property
    def n_instances(self) -> int:
        return int(self.ids.size)

    def instance_at(self, row: int, col: int) -> int:
        """The instance id at pixel (row, col); a ValueError outside the picture."""
        h, w = self.label.shape
        if not (0 <= row < h and 0 <= col < w):
            raise ValueError(f"no instance at ({row}, {col}): outside the {h}x{w} picture")
        return int(self.instance[row, col])

    def mask_of(self, instance_id: int) -> np.ndarray:
        """bool [H, W] of an instance; a ValueError naming the ids if it is not in the layout."""
        self._position(instance_id)
        return self.instance == instance_id

    def class_of(self, instance_id: int) -> int:
        """The class of an instance (its most frequent label)."""
        return int(np.bincount(self.label[self.mask_of(instance_id)]).argmax())

    def instances_of_class(self, class_id: int) -> list[int]:
        """Ids of the instances whose class is ``class_id`` (sorted)."""
        return [int(i) for i in self.ids if self.class_of(int(i)) == class_id]

    # ------------------------------------------------------------------ operations
    def reseed(self, seed: int, class_level: bool = False) -> np.ndarray:
        """New noises for everything from ``seed``, styles back to the prior; returns the images."""
        self.seed, self.class_level = int(seed), class_level
        self.rng = np.random.default_rng(self.seed)
        nc, k, s = self.pipe.cfg.noise_nc, self.n_instances, self.n_samples
        # sample by sample, as INADEPipeline.generate(seed=seed) draws them
        self.noise, self.noise_ins = draw_noises([self.rng] * s, [k] * s, k, self.pipe.cfg.z_dim, nc)
        if class_level:
            for cls in np.unique(self.label):
                members = [self._position(i) for i in self.instances_of_class(int(cls))]
                self.noise[:, members] = self.noise[:, members[:1]]
        self.styles = {key: np.zeros((k, nc), np.float32) for key in STYLE_KEYS}
        self.steps = 0  # operations since the last reseed
        self.raw = self._render()
        self.images = self.raw.copy()
        return self.images

    def resample(self, instance_id: int) -> Change:
        """New noise (from the prior, style reset) for one instance in every sample."""
        k = self._position(instance_id)
        self._reset_style([k])
        self.noise[:, k] = self._draw()
        return self._apply(self.mask_of(instance_id), f"instance {instance_id}")

    def resample_class(self, class_id: int) -> Change:
        """One new noise shared by every instance of ``class_id`` (per sample), styles reset."""
        members = self.instances_of_class(int(class_id))
        if not members:
            raise ValueError(f"class {class_id} is not in this layout (classes: {np.unique(self.label).tolist()})")
        positions = [self._position(i) for i in members]
        self._reset_style(positions)
        self.noise[:, positions] = self._draw()[:, None]
        mask = np.isin(self.instance, members)
        return self._apply(mask, f"class {class_id} ({len(members)} instance{'s' * (len(members) > 1)})")

    def restyle(self, instance_id: int, style: Mapping[str, np.ndarray], source: str = "reference",
                sample_style: bool = False) -> Change:
        """Give one instance a style ``{'s_mu', 's_logvar', 'b_mu', 'b_logvar'}`` (each
        [noise_nc], e.g. :meth:`ReferenceStyles.of`).

        By default the instance takes the style's mean in every sample (its log-variance
        becomes -inf: std 0), as :meth:`INADEPipeline.restyle` does; ``sample_style=True``
        keeps its noises and draws around the mean (``mu + std * noise``)."""
        k = self._position(instance_id)
        for key in STYLE_KEYS:
            value = np.asarray(style[key], np.float32)
            if value.shape != (self.pipe.cfg.noise_nc,):
                raise ValueError(f"style {key} must have shape ({self.pipe.cfg.noise_nc},), got {value.shape}")
            self.styles[key][k] = value if sample_style or key.endswith("_mu") else -np.inf
        return self._apply(self.mask_of(instance_id), f"instance {instance_id} to the style of {source}")

    # ------------------------------------------------------------------ internals
    def _position(self, instance_id: int) -> int:
        pos = int(np.searchsorted(self.ids, instance_id))
        if pos >= self.ids.size or self.ids[pos] != instance_id:
            raise ValueError(f"instance {instance_id} is not in this layout (ids: {self.ids.tolist()})")
        return pos

    def _draw(self) -> np.ndarray:
        """[S, 2, noise_nc] new noise, one per sample."""
        return self.rng.standard_normal((self.n_samples, 2, self.pipe.cfg.noise_nc), dtype=np.float32)

    def _reset_style(self, positions) -> None:
        for key in STYLE_KEYS:
            self.styles[key][positions] = 0.0

    def _render(self) -> np.ndarray:
        """uint8 [S, H, W, 3]: the layout under every sample's noises, one batched pass."""
        s = self.n_samples
        tile = lambda a: np.broadcast_to(a, (s, *a.shape))  # noqa: E731
        styles = {key: tile(v) for key, v in self.styles.items()}  # prior: mu 0, logvar 0 -> noise as is
        return self.pipe.synthesize(tile(self.label), tile(self.instance), self.noise, self.noise_ins,
                                    styles=styles)

    def _apply(self, mask: np.ndarray, target: str) -> Change:
        raw = self._render()
        leak = measure_leak(self.raw, raw, mask)
        self.raw, self.steps = raw, self.steps + 1
        self.images = np.where(mask[None, :, :, None], raw, self.images)
        log.debug("%s: %s", target, leak.describe())
        return Change(target, mask, raw, leak)


# --------------------------------------------------------------------------- references
class ReferenceStyles:
    """Per-instance styles encoded from a reference photo.

    Args:
        pipe: a pipeline with an encoder. photo: uint8 [H, W, 3]. instance: [H, W] ids
            (any integers), the photo's size.
    """

    def __init__(self, pipe: INADEPipeline, photo: np.ndarray, instance: np.ndarray):
        self.instance = np.asarray(instance).astype(np.int64)
        self.ids = np.unique(self.instance)
        encoded = pipe.encode(photo, self.instance)
        self.styles = {key: value[0] for key, value in encoded.items()}  # [K, noise_nc]

    def instance_at(self, row: int, col: int) -> int:
        h, w = self.instance.shape
        if not (0 <= row < h and 0 <= col < w):
            raise ValueError(f"no reference instance at ({row}, {col}): outside the {h}x{w} picture")
        return int(self.instance[row, col])

    def of(self, instance_id: int) -> dict[str, np.ndarray]:
        """The style of one reference instance: four [noise_nc] arrays."""
        pos = int(np.searchsorted(self.ids, instance_id))
        if pos >= self.ids.size or self.ids[pos] != instance_id:
            raise ValueError(f"instance {instance_id} is not in the reference (ids: {self.ids.tolist()})")
        return {key: value[pos] for key, value in self.styles.items()}

