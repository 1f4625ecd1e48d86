"""Fast exact InstanceAwareConv2d: a plain convolution, recomputed where windows cross instances.

The instance-aware convolution (see :mod:`.instance_aware_conv`) multiplies each window by
``mask = 1 - clip(|inst - inst_centre|, 0, 1)`` before applying the kernel. Wherever a whole
window lies inside one instance the mask is all ones and the result is the ordinary
convolution. So

    out = conv2d(x, W, b)                      at output positions whose window is one instance,
    out[n, :, p] = W @ (window(p) * mask) + b  at the few positions whose window crosses a
                                               boundary (recomputed and written over).

The recomputation gathers exactly those windows from a channel-last copy of ``x`` (so a
gather is a row copy), multiplies them with the kernel in one matrix product and writes the
result into the convolution's output in place. Window entries that are masked out (another
instance, or outside the image where ``x`` is zero-padded anyway) point at a row that no
window uses and that the gather returns as zeros, so for integer ids no mask multiplication
is needed; soft (non-integer) ids multiply by the exact mask and give the readable version's
numbers too. Because boundary outputs are recomputed rather than corrected, they never
depend on other instances' values (no cancellation).

Gradients w.r.t. ``x``, ``weight`` and ``bias`` equal those of the unfold version up to float
rounding (plain autograd): the convolution's gradient is zero at the overwritten positions
and the recomputation's gradient flows there instead.

The boundary geometry depends only on the id map; it is computed with numpy on the host (one
small channel) by :func:`instance_conv_geometry` in every call, or passed in explicitly by a
caller that uses one id map for several convolutions of the same shape. While a static graph
is traced (``paddle.jit``) the values are not available and the unfold version is used.

Costs on a 2-core CPU ([2, 64, 128, 128] -> 128, 13 % crossing windows): 1.2x (stride 1) and
1.4x (stride 2) the forward+backward time of ``conv2d``, 1.15x / 1.4x its peak memory
(unfold: 2.2-2.4x time, 3-4x memory); see ``benchmarks/``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import paddle
import paddle.nn.functional as F

from .channel_bias import conv2d


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


@dataclass
class InstanceConvGeometry:
    """Where k x k windows cross instance boundaries, for one id map and conv geometry.

    Attributes:
        rows: [N * P * k * k] int64, for every (sample, boundary position, kernel offset) the
            row of the channel-last input ``[N * H * W, C]`` to gather: the neighbour's pixel
            where the mask keeps it, else ``zero_row``.
        zero_row: a pixel that no window uses; gathering it gives zeros (embedding's
            ``padding_idx``), so masked-out entries need no multiplication. -1 when every pixel
            is used (then ``mask`` is given and zeroes those entries).
        mask: [N * P * k * k, 1] mask weights for soft id maps (or when ``zero_row`` is -1);
            None for integer ids.
        positions: [N, 1, P] int64 flat output positions (``y * W_out + x``) to recompute, all
            different within a sample: samples with fewer than P boundary positions are padded
            with some of their other positions.
        num_positions: P, the largest per-sample count of boundary positions.
        fraction: boundary positions / all output positions (over the batch).
    """

    rows: paddle.Tensor
    zero_row: int
    mask: paddle.Tensor | None
    positions: paddle.Tensor
    num_positions: int
    fraction: float


def _windows(a: np.ndarray, dy: int, dx: int, stride: int, ho: int, wo: int) -> np.ndarray:
    """[N, Hp, Wp] padded map -> [N, ho, wo]: the entry at kernel offset (dy, dx) of every window."""
    return a[:, dy:dy + stride * (ho - 1) + 1:stride, dx:dx + stride * (wo - 1) + 1:stride]


def instance_conv_geometry(instances: paddle.Tensor, kernel: int, stride: int,
                           padding: int) -> InstanceConvGeometry | None:
    """Boundary geometry of an id map for a k x k convolution; None if no window crosses one.

    Args:
        instances: [N, 1, H, W] instance ids (floats) at the convolution input's size.
        kernel, stride, padding: the convolution's.
    Returns:
        An :class:`InstanceConvGeometry`, or None when every window lies in one instance (then
        the instance-aware convolution is exactly the plain one).
    """
    n, _, h, w = instances.shape
    ho, wo = conv_out_size(h, kernel, stride, padding), conv_out_size(w, kernel, stride, padding)
    ids = instances.numpy()[:, 0]
    if ids.dtype != np.float64:
        ids = ids.astype(np.float32)
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
        return None
    # Per-sample positions padded to a common length P with other positions of that sample
    # (recomputing a window that lies in one instance gives the convolution's value).
    positions = np.zeros((n, num), dtype=np.int64)
    for i in range(n):
        pos = np.flatnonzero(crossing[i])
        positions[i] = np.concatenate([pos, np.flatnonzero(~crossing[i])[:num - pos.size]])
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
    place = instances.place
    return InstanceConvGeometry(
        rows=paddle.to_tensor(rows, place=place),
        zero_row=zero_row,
        mask=paddle.to_tensor(mask.reshape(-1, 1).astype(ids.dtype), place=place) if soft else None,
        positions=paddle.to_tensor(positions[:, None, :], place=place),
        num_positions=num,
        fraction=float(counts.sum()) / float(n * ho * wo))


def _channel_last_rows(x: paddle.Tensor) -> paddle.Tensor:
    """[N, C, H, W] -> [N*H*W, C] contiguous.

    ``einsum`` runs Paddle's dense transpose kernel (forward and backward), several times faster
    on the CPU than making a transposed view contiguous.
    """
    n, c, h, w = x.shape
    return paddle.einsum("ncp->npc", x.reshape([n, c, h * w])).reshape([n * h * w, c])


def _recompute_windows(x: paddle.Tensor, weight: paddle.Tensor, bias: paddle.Tensor | None,
                       geometry: InstanceConvGeometry) -> paddle.Tensor:
    """``W @ masked window + b`` at the boundary positions: [N, F, P].

    Args:
        x: [N, C, H, W]; weight: [F, C, k, k]; bias: [F] or None; geometry: of the id map.
    Plain autograd ops: the gather is an embedding look-up of channel-last rows, whose
    gradient is a dense row scatter; the layout changes run Paddle's dense transpose kernel.
    """
    n, c = x.shape[0], x.shape[1]
    fout, _, k, _ = weight.shape
    x_rows = _channel_last_rows(x)  # [N*H*W, C]
    padding_idx = geometry.zero_row if geometry.zero_row >= 0 else None
    cols = F.embedding(geometry.rows, x_rows, padding_idx=padding_idx)  # [N*P*k*k, C]
    if geometry.mask is not None:
        cols = cols * geometry.mask.astype(cols.dtype)
    cols = cols.reshape([n, geometry.num_positions, k * k * c])
    w_rows = weight.transpose([0, 2, 3, 1]).reshape([fout, k * k * c])
    out = paddle.matmul(w_rows, cols, transpose_y=True)  # [N, F, P]
    if bias is not None:
        out = out + bias.reshape([1, fout, 1])
    return out


def unfold_instance_conv2d(x: paddle.Tensor, instances: paddle.Tensor, weight: paddle.Tensor,
                           bias: paddle.Tensor | None, stride: int, padding: int) -> paddle.Tensor:
    """The readable version: unfold every window, mask it, one matrix product.

    Args:
        x: [N, C, H, W]; instances: [N, 1, H, W] ids (floats) at x's size;
        weight: [F, C, k, k]; bias: [F] or None.
    Returns:
        [N, F, H_out, W_out]. Materialises the C*k*k values of every window.
    """
    n, c, h, w = x.shape
    fout, _, k, _ = weight.shape
    inst_unf = F.unfold(instances, k, strides=stride, paddings=padding)  # [N, k*k, L]
    centre = inst_unf[:, k * k // 2:k * k // 2 + 1, :]
    mask = (1.0 - paddle.clip(paddle.abs(inst_unf - centre), 0.0, 1.0)).unsqueeze(1)  # [N,1,kk,L]
    x_unf = F.unfold(x, k, strides=stride, paddings=padding)  # [N, C*k*k, L]
    length = x_unf.shape[-1]
    masked = (x_unf.reshape([n, c, -1, length]) * mask).reshape([n, -1, length])
    out = paddle.matmul(weight.reshape([fout, -1]), masked)  # [N, F, L]
    if bias is not None:
        out = out + bias.reshape([1, -1, 1])
    return out.reshape([n, fout, conv_out_size(h, k, stride, padding),
                        conv_out_size(w, k, stride, padding)])


def fast_instance_conv2d(x: paddle.Tensor, instances: paddle.Tensor, weight: paddle.Tensor,
                         bias: paddle.Tensor | None, stride: int, padding: int,
                         geometry: InstanceConvGeometry | None = None) -> paddle.Tensor:
    """Instance-aware convolution as ``conv2d`` with the boundary windows recomputed (the
    numbers of :func:`unfold_instance_conv2d` up to float rounding).

    Args:
        x: [N, C, H, W]; instances: [N, 1, H, W] ids (floats) at x's size;
        weight: [F, C, k, k]; bias: [F] or None.
        geometry: the precomputed :func:`instance_conv_geometry` of ``instances`` (computed here
            when None).
    Returns:
        [N, F, H_out, W_out]. While a static graph is traced (``paddle.jit``) the geometry,
        which needs the id values, is not available: the unfold version is traced instead.
    """
    n = x.shape[0]
    fout, _, k, _ = weight.shape
    if not paddle.in_dynamic_mode():
        return unfold_instance_conv2d(x, instances, weight, bias, stride, padding)
    if geometry is None:
        geometry = instance_conv_geometry(instances, k, stride, padding)
    out = conv2d(x, weight, bias, stride=stride, padding=padding)
    if geometry is None:
        return out
    values = _recompute_windows(x, weight, bias, geometry)  # [N, F, P]
    ho, wo = out.shape[2], out.shape[3]
    out = out.reshape([n, fout, ho * wo])
    # In place (conv2d's backward does not need its output); the gradient of the overwritten
    # entries goes to ``values`` only.
    out.put_along_axis_(geometry.positions, values, 2, reduce="assign")
    return out.reshape([n, fout, ho, wo])
