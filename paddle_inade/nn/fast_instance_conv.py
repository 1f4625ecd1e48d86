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

The boundary geometry depends only on the id map (:mod:`.instance_geometry`). Finding it needs
the id values (on a GPU: a wait for the device), so a network computes the geometries of all
its convolutions once per forward pass (:func:`.geometry_choice.instance_conv_geometries`)
and passes each one in; without one it is computed here, in every call. While a static graph
is traced (``paddle.jit``) the values are not available and the unfold version is used.

Costs on a 2-core CPU ([2, 64, 128, 128] -> 128, 13 % crossing windows): 1.2x (stride 1) and
1.4x (stride 2) the forward+backward time of ``conv2d``, 1.15x / 1.4x its peak memory
(unfold: 2.2-2.4x time, 3-4x memory); see ``benchmarks/``.
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F

from .channel_bias import conv2d
from .geometry_choice import instance_conv_geometry
from .instance_geometry import ConvSpec, InstanceConvGeometry, conv_out_size

__all__ = ["InstanceConvGeometry", "conv_out_size", "fast_instance_conv2d", "instance_conv_geometry",
           "unfold_instance_conv2d"]


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
        geometry: the precomputed geometry of ``instances`` for this convolution (from
            :func:`.geometry_choice.instance_conv_geometries`; computed here when None).
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
    else:
        geometry.check(ConvSpec(*instances.shape[2:], k, stride, padding))
    out = conv2d(x, weight, bias, stride=stride, padding=padding)
    if geometry is None or geometry.num_positions == 0:
        return out
    values = _recompute_windows(x, weight, bias, geometry)  # [N, F, P]
    ho, wo = out.shape[2], out.shape[3]
    out = out.reshape([n, fout, ho * wo])
    # In place (conv2d's backward does not need its output); the gradient of the overwritten
    # entries goes to ``values`` only.
    out.put_along_axis_(geometry.positions, values, 2, reduce="assign")
    return out.reshape([n, fout, ho, wo])
