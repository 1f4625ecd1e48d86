"""The boundary geometry of instance-aware convolutions with Paddle ops, where the ids live.

The result of :func:`.instance_geometry.host_geometry`, field for field (same positions in the
same order, same rows, same ``zero_row``, a mask exactly when the host one has one), computed
without copying the id maps to the host. Everything whose value fixes a shape or a Python
argument is found first with fixed-shape ops over all windows, for every convolution: the
per-sample counts of crossing windows (P is their maximum), which windows the host version
selects (the crossing ones, then each sample's first others up to P), which pixels those
windows gather (``zero_row`` is the first pixel none of them uses) and whether any gathered
weight lies strictly between 0 and 1 (soft ids). One device-to-host copy of those five numbers
per convolution, then the [N, P] tables.

Layout: per window ``L = ho * wo`` and kernel offset ``kk = k * k`` (row-major ``dy, dx``),
entries are gathered from the zero-padded map ``[N, Hp * Wp]`` in one ``take_along_axis``.
"""
from __future__ import annotations

from typing import Sequence

import paddle
import paddle.nn.functional as F

from .instance_geometry import ConvSpec, InstanceConvGeometry


def _window_index(spec: ConvSpec) -> paddle.Tensor:
    """[kk, L] int64: flat index in the padded map of every window's entry at every offset."""
    ho, wo = spec.out_size
    k, s = spec.kernel, spec.stride
    wp = spec.width + 2 * spec.padding
    ys = paddle.arange(ho, dtype="int64") * s
    xs = paddle.arange(wo, dtype="int64") * s
    base = (ys.reshape([ho, 1]) * wp + xs.reshape([1, wo])).reshape([1, ho * wo])
    offsets = paddle.to_tensor([dy * wp + dx for dy in range(k) for dx in range(k)], dtype="int64")
    return base + offsets.reshape([k * k, 1])


class _Windows:
    """Every window's entries of one id map [N, 1, H, W] for one convolution.

    Attributes: ``index`` [N, kk * L] padded flat indices; ``ids`` [N, kk, L] neighbour ids
    (zero-padded); ``inside`` [N, kk, L] bool; ``centre`` [N, L] the centre id (zero-padded map);
    ``weight`` [N, kk, L] ``1 - clip(|id - centre|, 0, 1)``; ``keep`` [N, kk, L] bool the entry
    counts (inside, weight > 0); ``crossing`` [N, L] bool.
    """

    def __init__(self, ids: paddle.Tensor, spec: ConvSpec):
        n = ids.shape[0]
        kk, length = spec.kernel * spec.kernel, spec.out_size[0] * spec.out_size[1]
        pad = [spec.padding] * 4
        padded = F.pad(ids, pad, value=0.0).reshape([n, -1])
        inside = F.pad(paddle.ones_like(ids), pad, value=0.0).reshape([n, -1])
        self.index = _window_index(spec).reshape([1, kk * length]).expand([n, kk * length])
        self.ids = paddle.take_along_axis(padded, self.index, axis=1).reshape([n, kk, length])
        self.inside = paddle.take_along_axis(inside, self.index, axis=1).reshape([n, kk, length]) > 0
        self.centre = self.ids[:, kk // 2]
        centre = self.centre.unsqueeze(1)
        self.weight = 1.0 - paddle.clip(paddle.abs(self.ids - centre), 0.0, 1.0)
        self.keep = self.inside & (self.weight > 0)
        self.crossing = paddle.any((self.ids != centre) & self.inside, axis=1)


def _selected(crossing: paddle.Tensor) -> paddle.Tensor:
    """[N, L] bool -> [N, L] bool: the crossing windows and, in each sample, its first other
    windows up to the largest count P (the host version's padding)."""
    counts = crossing.astype("int64").sum(axis=1, keepdim=True)  # [N, 1]
    others = paddle.logical_not(crossing)
    rank = paddle.cumsum(others.astype("int64"), axis=1) - 1
    return crossing | (others & (rank < counts.max() - counts))


def _statistics(win: _Windows, spec: ConvSpec) -> paddle.Tensor:
    """[5] int64: P, the total crossing count, zero_row, whether zero_row is used (every pixel is),
    whether a gathered weight is soft."""
    n = win.ids.shape[0]
    p, h, w = spec.padding, spec.height, spec.width
    counts = win.crossing.astype("int64").sum(axis=1)
    taken = win.keep & _selected(win.crossing).unsqueeze(1)  # [N, kk, L]
    hits = paddle.put_along_axis(paddle.zeros([n, (h + 2 * p) * (w + 2 * p)], "int32"), win.index,
                                 taken.astype("int32").reshape([n, -1]), axis=1, reduce="add")
    used = (hits.reshape([n, h + 2 * p, w + 2 * p])[:, p:p + h, p:p + w] > 0).reshape([-1])
    # The first unused pixel (numpy's argmin), by a minimum over distinct keys (no ties).
    pixels = n * h * w
    first = (used.astype("int64") * pixels + paddle.arange(pixels, dtype="int64")).min()
    soft = paddle.any(taken & (win.weight != 1.0))
    return paddle.stack([counts.max(), counts.sum(), first % pixels, (first >= pixels).astype("int64"),
                         soft.astype("int64")])


def _gather_positions(t: paddle.Tensor, positions: paddle.Tensor) -> paddle.Tensor:
    """[N, kk, L] at [N, P] positions -> [N, P * kk] (position-major, as the host's rows)."""
    n, kk, _ = t.shape
    num = positions.shape[1]
    index = positions.unsqueeze(1).expand([n, kk, num])
    flag = t.dtype == paddle.bool  # take_along_axis has no bool kernel
    out = paddle.take_along_axis(t.astype("int32") if flag else t, index, axis=2)
    out = out.transpose([0, 2, 1]).reshape([n, num * kk])
    return out > 0 if flag else out


def _geometry(win: _Windows, spec: ConvSpec, stats) -> InstanceConvGeometry:
    """The tables, given the copied statistics (P > 0)."""
    num, total, zero_row, all_used, soft = (int(v) for v in stats)
    if all_used:
        zero_row, soft = -1, True
    n = win.ids.shape[0]
    p, h, w = spec.padding, spec.height, spec.width
    # Crossing positions first, then the others, each in increasing order (a stable sort).
    order = paddle.argsort(win.crossing.astype("int32"), axis=1, descending=True, stable=True)
    positions = order[:, :num]  # [N, P]
    index = _gather_positions(win.index.reshape(win.ids.shape), positions)  # padded flat
    rows = paddle.arange(n, dtype="int64").reshape([n, 1]) * (h * w) \
        + (index // (w + 2 * p) - p) * w + (index % (w + 2 * p) - p)
    keep = _gather_positions(win.keep, positions)
    rows = paddle.where(keep, rows, paddle.full_like(rows, max(zero_row, 0)))
    mask = None
    if soft:
        weight = _gather_positions(win.weight, positions)
        inside = _gather_positions(win.inside, positions)
        mask = paddle.where(inside, weight, paddle.zeros_like(weight)).reshape([-1, 1])
    ho, wo = spec.out_size
    return InstanceConvGeometry(
        rows=rows.reshape([-1]), zero_row=zero_row, mask=mask,
        positions=positions.reshape([n, 1, num]), num_positions=num,
        fraction=total / float(n * ho * wo), spec=spec)


def device_geometries(maps: Sequence[paddle.Tensor], specs: Sequence[ConvSpec]) -> list[InstanceConvGeometry]:
    """``maps[i]`` [N, 1, H_i, W_i]: the ids at ``specs[i]``'s input size -> their geometries,
    one device-to-host copy in all."""
    maps = [m if m.dtype == paddle.float64 else m.astype("float32") for m in maps]
    windows = [_Windows(m, s) for m, s in zip(maps, specs)]
    stats = paddle.stack([_statistics(win, s) for win, s in zip(windows, specs)]).numpy()  # [S, 5]
    return [_geometry(win, s, st) if st[0] else InstanceConvGeometry.empty(s)
            for win, s, st in zip(windows, specs, stats)]
