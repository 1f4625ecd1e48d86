"""The boundary geometry of instance-aware convolutions with Paddle ops, where the ids live.

The numbers of :func:`.instance_geometry.host_geometry` (same positions in the same order,
same gathered pixels, same mask weights), computed without copying the id maps to the host:
first the crossing windows of every convolution (fixed shapes), then one device-to-host copy
of each convolution's largest per-sample count P and total count, then the [N, P] tables.
Masked-out window entries are zeroed by the mask (``zero_row`` -1) rather than by gathering
an unused pixel, which would need another copy to find that pixel.
"""
from __future__ import annotations

from typing import Sequence

import paddle
import paddle.nn.functional as F

from .instance_geometry import ConvSpec, InstanceConvGeometry, resized_ids


def _windows(a: paddle.Tensor, dy: int, dx: int, stride: int, ho: int, wo: int) -> paddle.Tensor:
    """[N, Hp, Wp] padded map -> [N, ho, wo]: the entry at kernel offset (dy, dx) of every window."""
    return a[:, dy:dy + stride * (ho - 1) + 1:stride, dx:dx + stride * (wo - 1) + 1:stride]


def _padded_maps(ids: paddle.Tensor, padding: int) -> tuple[paddle.Tensor, paddle.Tensor]:
    """[N, 1, H, W] ids -> (zero-padded ids, 1 inside the image / 0 in the padding), [N, Hp, Wp]."""
    pad = [padding] * 4
    return (F.pad(ids, pad, value=0.0)[:, 0],
            F.pad(paddle.ones_like(ids), pad, value=0.0)[:, 0])


def _crossing(ids: paddle.Tensor, spec: ConvSpec) -> paddle.Tensor:
    """[N, 1, H, W] ids at the spec's input size -> [N, ho * wo] bool: the window crosses a
    boundary (a neighbour inside the image has another id than the zero-padded centre)."""
    ho, wo = spec.out_size
    k, s = spec.kernel, spec.stride
    padded, inside = _padded_maps(ids, spec.padding)
    cy, cx = divmod(k * k // 2, k)
    centre = _windows(padded, cy, cx, s, ho, wo)
    crossing = paddle.zeros(centre.shape, dtype="bool")
    for dy in range(k):
        for dx in range(k):
            differs = _windows(padded, dy, dx, s, ho, wo) != centre
            crossing = crossing | (differs & (_windows(inside, dy, dx, s, ho, wo) > 0))
    return crossing.reshape([ids.shape[0], ho * wo])


def _geometry(ids: paddle.Tensor, spec: ConvSpec, crossing: paddle.Tensor, num: int,
              total: int) -> InstanceConvGeometry:
    """The tables for P = ``num`` positions per sample; ``crossing`` [N, ho * wo] bool."""
    n, _, h, w = ids.shape
    ho, wo = spec.out_size
    k, s, p = spec.kernel, spec.stride, spec.padding
    # Crossing positions first, then the others, each in increasing order (a stable sort).
    order = paddle.argsort(crossing.astype("int32"), axis=1, descending=True, stable=True)
    positions = order[:, :num]  # [N, P] int64
    offsets = paddle.arange(k, dtype="int64")
    iy = (positions // wo * s).reshape([n, num, 1, 1]) + offsets.reshape([1, 1, k, 1])
    ix = (positions % wo * s).reshape([n, num, 1, 1]) + offsets.reshape([1, 1, 1, k])
    padded_index = (iy * (w + 2 * p) + ix).reshape([n, num * k * k])  # in the padded map
    padded, inside = _padded_maps(ids, p)
    nb = paddle.take_along_axis(padded.reshape([n, -1]), padded_index, axis=1)  # [N, P*k*k]
    nb_inside = paddle.take_along_axis(inside.reshape([n, -1]), padded_index, axis=1) > 0
    cy, cx = divmod(k * k // 2, k)
    centre = _windows(padded, cy, cx, s, ho, wo).reshape([n, ho * wo])
    centre = paddle.take_along_axis(centre, positions, axis=1)  # [N, P]
    centre = centre.reshape([n, num, 1]).expand([n, num, k * k]).reshape([n, num * k * k])
    weight = 1.0 - paddle.clip(paddle.abs(nb - centre), 0.0, 1.0)
    mask = paddle.where(nb_inside, weight, paddle.zeros_like(weight))
    sample = paddle.arange(n, dtype="int64").reshape([n, 1, 1, 1]) * (h * w)
    rows = (sample + (iy - p) * w + (ix - p)).reshape([n, num * k * k])
    rows = paddle.where(mask > 0, rows, paddle.zeros_like(rows))  # any valid row: it is zeroed
    return InstanceConvGeometry(
        rows=rows.reshape([-1]), zero_row=-1, mask=mask.reshape([-1, 1]),
        positions=positions.reshape([n, 1, num]), num_positions=num,
        fraction=total / float(n * ho * wo), spec=spec)


def device_geometries(ids: paddle.Tensor, specs: Sequence[ConvSpec]) -> list[InstanceConvGeometry]:
    """The geometries of ``ids`` [N, 1, H, W] for ``specs``, one device-to-host copy in all."""
    maps = [resized_ids(ids, s.height, s.width) for s in specs]
    crossings = [_crossing(m, s) for m, s in zip(maps, specs)]
    counts = [c.astype("int64").sum(axis=1) for c in crossings]  # [N] each
    stats = paddle.stack([paddle.stack([c.max(), c.sum()]) for c in counts]).numpy()  # [S, 2]
    return [_geometry(m, s, c, int(num), int(total)) if num else InstanceConvGeometry.empty(s)
            for m, s, c, (num, total) in zip(maps, specs, crossings, stats)]
