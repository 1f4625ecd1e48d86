"""Where the windows of an instance-aware convolution cross instance boundaries.

The fast instance-aware convolution (:mod:`.fast_instance_conv`) recomputes exactly the output
positions whose k x k window sees more than one instance. Which positions those are, and which
input pixels their windows gather, depends only on the id map and the convolution's geometry:
:class:`InstanceConvGeometry`.

Finding them needs the id values, and the number of boundary positions fixes tensor shapes, so
on a GPU every computation of a geometry waits for the device once (a device-to-host copy). A
network with several instance-aware convolutions therefore computes the geometries of all its
layers at once, before its first convolution, with :func:`.geometry_choice.instance_conv_geometries`: one wait
per forward pass. Two implementations with the same results:

* host (:func:`host_geometry`, the readable reference): numpy on a host copy of the id maps;
  chosen for CPU tensors (there the copy costs nothing and numpy is faster than Paddle's
  per-op overhead on these small maps).
* device (:mod:`.instance_geometry_device`): Paddle ops on the id maps where they live, one
  device-to-host copy of the per-layer counts; chosen for GPU (and other non-CPU) tensors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import paddle
import paddle.nn.functional as F

IMPLS = ("host", "device")


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True)
class ConvSpec:
    """One convolution's input size and window geometry (a key of :func:`.geometry_choice.instance_conv_geometries`)."""

    height: int
    width: int
    kernel: int
    stride: int
    padding: int

    @property
    def out_size(self) -> tuple[int, int]:
        return (conv_out_size(self.height, self.kernel, self.stride, self.padding),
                conv_out_size(self.width, self.kernel, self.stride, self.padding))


@dataclass
class InstanceConvGeometry:
    """Where k x k windows cross instance boundaries, for one id map and conv geometry.

    Attributes:
        rows: [N * P * k * k] int64, for every (sample, boundary position, kernel offset) the
            row of the channel-last input ``[N * H * W, C]`` to gather: the neighbour's pixel
            where the mask keeps it, else ``zero_row`` (or, with ``mask``, any row).
        zero_row: a pixel that no window uses; gathering it gives zeros (embedding's
            ``padding_idx``), so masked-out entries need no multiplication. -1 when ``mask``
            zeroes those entries instead (every pixel is used, or the device implementation).
        mask: [N * P * k * k, 1] mask weights (soft id maps, or ``zero_row`` -1); None for
            integer ids with a ``zero_row``.
        positions: [N, 1, P] int64 flat output positions (``y * W_out + x``) to recompute, all
            different within a sample: samples with fewer than P boundary positions are padded
            with some of their other positions.
        num_positions: P, the largest per-sample count of boundary positions; 0 when no window
            crosses a boundary (then the other fields are None and the convolution is plain).
        fraction: boundary positions / all output positions (over the batch).
        spec: the convolution it was computed for (None: not recorded).
    """

    rows: paddle.Tensor | None
    zero_row: int
    mask: paddle.Tensor | None
    positions: paddle.Tensor | None
    num_positions: int
    fraction: float
    spec: ConvSpec | None = None

    @classmethod
    def empty(cls, spec: ConvSpec | None = None) -> InstanceConvGeometry:
        """No window crosses a boundary."""
        return cls(None, -1, None, None, 0, 0.0, spec)

    def check(self, spec: ConvSpec) -> None:
        """ValueError unless computed for ``spec`` (or for an unrecorded one)."""
        if self.spec is not None and self.spec != spec:
            raise ValueError(f"instance conv geometry computed for {self.spec}, used for {spec}")


def _windows(a: np.ndarray, dy: int, dx: int, stride: int, ho: int, wo: int) -> np.ndarray:
    """[N, Hp, Wp] padded map -> [N, ho, wo]: the entry at kernel offset (dy, dx) of every window."""
    return a[:, dy:dy + stride * (ho - 1) + 1:stride, dx:dx + stride * (wo - 1) + 1:stride]


def _padded_positions(crossing: np.ndarray, num: int) -> np.ndarray:
    """[N, L] bool -> [N, num] int64: each sample's crossing positions, then (as padding) its
    first other positions (recomputing a window inside one instance gives the conv's value)."""
    positions = np.zeros((crossing.shape[0], num), dtype=np.int64)
    for i, row in enumerate(crossing):
        pos = np.flatnonzero(row)
        positions[i] = np.concatenate([pos, np.flatnonzero(~row)[:num - pos.size]])
    return positions


def host_geometry(ids: np.ndarray, kernel: int, stride: int, padding: int,
                  place=None) -> InstanceConvGeometry:
    """The readable reference: the geometry of ``ids`` [N, H, W] (a numpy id map at the
    convolution input's size), its tensors placed on ``place``."""
    if ids.dtype != np.float64:
        ids = ids.astype(np.float32)
    n, h, w = ids.shape
    ho, wo = conv_out_size(h, kernel, stride, padding), conv_out_size(w, kernel, stride, padding)
    pad = ((0, 0), (padding, padding), (padding, padding))
    # Neighbours outside the image never contribute (x is zero-padded): mark them NaN.
    nan_padded = np.pad(ids, pad, constant_values=np.nan)
    # The reference takes the centre id from the zero-padded id map (0 outside the image).
    cy, cx = divmod(kernel * kernel // 2, kernel)
    centre = _windows(np.pad(ids, pad), cy, cx, stride, ho, wo)  # [N, ho, wo]
    crossing = np.zeros((n, ho, wo), dtype=bool)
    for dy in range(kernel):
        for dx in range(kernel):
            nb = _windows(nan_padded, dy, dx, stride, ho, wo)
            crossing |= (nb != centre) & ~np.isnan(nb)
    crossing = crossing.reshape(n, ho * wo)
    counts = crossing.sum(axis=1)
    num = int(counts.max())
    if num == 0:
        return InstanceConvGeometry.empty(ConvSpec(h, w, kernel, stride, padding))
    positions = _padded_positions(crossing, num)
    py, px = positions // wo, positions % wo  # [N, P]
    offsets = np.arange(kernel)
    iy = (py * stride)[:, :, None, None] + offsets[None, None, :, None]  # padded coords [N,P,k,1]
    ix = (px * stride)[:, :, None, None] + offsets[None, None, None, :]  # [N, P, 1, k]
    sample = np.arange(n)[:, None, None, None]
    nb = nan_padded[sample, iy, ix]  # [N, P, k, k]
    centre_ids = centre.reshape(n, ho * wo)[np.arange(n)[:, None], positions][:, :, None, None]
    inside = ~np.isnan(nb)
    mask = np.where(inside, 1.0 - np.clip(np.abs(np.where(inside, nb - centre_ids, 1.0)), 0.0, 1.0), 0.0)
    keep = mask > 0
    rows = sample * (h * w) + (iy - padding) * w + (ix - padding)
    used = np.zeros(n * h * w, dtype=bool)
    used[rows[keep]] = True
    zero_row = int(np.argmin(used))
    soft = bool(np.any(mask[keep] != 1.0))
    if used[zero_row]:  # every pixel is used: mask by multiplication instead
        zero_row, soft = -1, True
    rows = np.where(keep, rows, max(zero_row, 0)).reshape(-1)
    return InstanceConvGeometry(
        rows=paddle.to_tensor(rows, place=place),
        zero_row=zero_row,
        mask=paddle.to_tensor(mask.reshape(-1, 1).astype(ids.dtype), place=place) if soft else None,
        positions=paddle.to_tensor(positions[:, None, :], place=place),
        num_positions=num,
        fraction=float(counts.sum()) / float(n * ho * wo),
        spec=ConvSpec(h, w, kernel, stride, padding))


def resized_ids(ids: paddle.Tensor, height: int, width: int) -> paddle.Tensor:
    """[N, 1, H, W] ids -> [N, 1, height, width], nearest, as :class:`InstanceAwareConv2d`
    resizes them."""
    if list(ids.shape[2:]) == [height, width]:
        return ids
    return F.interpolate(ids, size=[height, width], mode="nearest")


def default_impl(place) -> str:
    """``host`` for CPU tensors, ``device`` elsewhere."""
    return "host" if place.is_cpu_place() else "device"


def _host_geometries(maps: Sequence[paddle.Tensor], specs: Sequence[ConvSpec]) -> list[InstanceConvGeometry]:
    """``maps[i]`` [N, 1, H_i, W_i]: the ids at ``specs[i]``'s size; one device-to-host copy."""
    unique = list({id(m): m for m in maps}.values())
    flat = paddle.concat([m.reshape([-1]) for m in unique]).numpy() if len(unique) > 1 else unique[0].numpy()
    bounds = np.cumsum([0] + [int(np.prod(m.shape)) for m in unique])
    arrays = {id(m): flat[a:b].reshape(m.shape) for a, b, m in zip(bounds[:-1], bounds[1:], unique)}
    return [host_geometry(arrays[id(m)][:, 0], s.kernel, s.stride, s.padding, place=m.place)
            for m, s in zip(maps, specs)]
