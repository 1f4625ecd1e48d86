"""Grouped 2-D convolution (``groups`` > 1) with a faster CPU path for large stride-1 shapes.

Paddle's CPU ``conv2d`` unfolds every group's input (im2col: ``C/g * k * k`` values per output
position, written at a few GB/s) and then multiplies it with the group's kernel. On GroupDNet's
large maps the unfold costs more than the multiplication. :func:`shifted_matmul_conv2d` needs no
unfold: the zero-padded input is laid out flat, ``[N, g, C/g, Lpad]`` with each row ``Wp >= W``
long, so that kernel offset (dy, dx) is the flat shift ``dy * Wp + dx``. Then

    out[n, G, :, q] = sum_(dy, dx)  W[G, :, :, dy, dx] @ xpad[n, G, :, q + dy * Wp + dx]

is ``k * k`` batched matrix products over the groups of the *unshifted* buffer, each result
shifted (a slice) and added, followed by cropping the ``Wp - W`` extra columns. The shifted
adds move ``k * k * F / g`` values per output position instead of the unfold's
``k * k * C / g``, so the path pays where the groups' outputs are narrower than their inputs
and the map is large (measured in ``benchmarks/bench_groupdnet.py``; :func:`choose_impl`).

Same sums as the convolution, in another order: equal to float32 rounding. Plain autograd ops
(matmul, slice, add, concat), so gradients flow to ``x`` and ``weight``. No host syncs.
:func:`reference_grouped_conv2d` is the readable version; :func:`grouped_conv2d` picks one.
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F

IMPLS = ("auto", "reference", "shifted")


def reference_grouped_conv2d(x: paddle.Tensor, weight: paddle.Tensor, stride: int = 1,
                             padding: int = 0, groups: int = 1) -> paddle.Tensor:
    """``F.conv2d(x, weight, stride=stride, padding=padding, groups=groups)`` (no bias).

    x [N, C, H, W], weight [F, C / groups, k, k] -> [N, F, H', W'].
    """
    return F.conv2d(x, weight, None, stride=stride, padding=padding, groups=groups)


def _flat_padded(x: paddle.Tensor, kernel: int, padding: int) -> tuple[paddle.Tensor, int]:
    """x [N, C, H, W] -> (buffer [N, C, Lpad], row length Wp): the input zero-padded and flattened.

    Row r of the input starts at ``(padding + r) * Wp + padding``; the ``Wp - W`` zeros after each
    row serve as the right padding of that row and the left padding of the next one, and the
    zeros before the first and after the last row as the top and bottom padding.
    """
    n, c, h, w = x.shape
    wp = w + max(padding, kernel - 1 - padding)
    if wp > w:
        x = paddle.concat([x, paddle.zeros([n, c, h, wp - w], x.dtype)], axis=3)
    front = padding * wp + padding
    # the last output row's last shift reads up to (h + 2 padding) * wp + kernel - 2
    back = (h + 2 * padding) * wp + kernel - 1 - front - h * wp
    parts = [x.reshape([n, c, h * wp])]
    if front > 0:
        parts.insert(0, paddle.zeros([n, c, front], x.dtype))
    if back > 0:
        parts.append(paddle.zeros([n, c, back], x.dtype))
    return (paddle.concat(parts, axis=2) if len(parts) > 1 else parts[0]), wp


def shifted_matmul_conv2d(x: paddle.Tensor, weight: paddle.Tensor, padding: int = 0,
                          groups: int = 1) -> paddle.Tensor:
    """Stride-1 grouped convolution as ``k * k`` shifted batched matrix products (no unfold).

    Args:
        x: [N, C, H, W]; weight: [F, C / groups, k, k] (square kernel); padding: on every side,
            at most ``k - 1``.
    Returns:
        [N, F, H + 2 padding - k + 1, W + 2 padding - k + 1], the numbers of
        :func:`reference_grouped_conv2d` with stride 1 up to float32 rounding.
    """
    n, c, _, w = x.shape
    fout, cg, k, _ = weight.shape
    fg = fout // groups
    ho, wo = x.shape[2] + 2 * padding - k + 1, w + 2 * padding - k + 1
    buf, wp = _flat_padded(x, k, padding)
    xg = buf.reshape([n, groups, cg, buf.shape[2]])  # [N, g, C/g, Lpad]
    # [kk, 1, g, F/g, C/g]: the batch axis explicit (Paddle's matmul gradient fails to reduce a
    # broadcast over a missing leading axis)
    kernels = weight.reshape([1, groups, fg, cg, k * k]).transpose([4, 0, 1, 2, 3])
    span = ho * wp
    out = None
    for i in range(k * k):
        shift = (i // k) * wp + i % k
        part = paddle.matmul(kernels[i], xg)[:, :, :, shift:shift + span]  # [N, g, F/g, span]
        out = part if out is None else out + part
    out = out.reshape([n, fout, ho, wp])
    return out[:, :, :, :wo] if wp > wo else out


def _square(value) -> int | None:
    """An int stride / padding, or a list of equal ones (``nn.Conv2D`` keeps lists), as an int;
    None for anything else (unequal sides, a padding string)."""
    if isinstance(value, int):
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, int) and v == value[0] for v in value):
        return value[0]
    return None


def choose_impl(x: paddle.Tensor, weight: paddle.Tensor, stride, padding, groups: int) -> str:
    """'shifted' where it measured faster than Paddle's kernel, else 'reference'.

    The shifted path runs only on the CPU, in dynamic mode, without autograd (its backward, nine
    slice gradients and products, measured 3-50x Paddle's), for stride 1, a kernel larger than
    1 x 1 with padding < k, and either maps of at least :data:`SHIFTED_MIN_POSITIONS` positions
    with groups whose outputs are at most half as wide as their inputs (the shifted adds then
    move at most half what the unfold moves), or maps of at least :data:`SHIFTED_EVEN_POSITIONS`
    with outputs at most as wide as inputs of 64 channels or more. Measured in
    ``benchmarks/bench_groupdnet.py``.
    """
    fout, cg, k, _ = weight.shape
    stride, padding = _square(stride), _square(padding)
    if groups <= 1 or stride != 1 or padding is None or k == 1 or padding >= k:
        return "reference"
    if not paddle.in_dynamic_mode() or not x.place.is_cpu_place() or _needs_grad(x, weight):
        return "reference"
    positions, fg = x.shape[2] * x.shape[3], fout // groups
    narrow = positions >= SHIFTED_MIN_POSITIONS and 2 * fg <= cg
    even = positions >= SHIFTED_EVEN_POSITIONS and fg <= cg and cg >= 64
    return "shifted" if narrow or even else "reference"


def _needs_grad(x: paddle.Tensor, weight: paddle.Tensor) -> bool:
    return paddle.is_grad_enabled() and not (x.stop_gradient and weight.stop_gradient)


#: smallest map (H * W) on which the shifted path is chosen (group outputs <= half the inputs)
SHIFTED_MIN_POSITIONS = 64 * 64
#: smallest map on which it is chosen for group outputs as wide as the inputs
SHIFTED_EVEN_POSITIONS = 128 * 128


def grouped_conv2d(x: paddle.Tensor, weight: paddle.Tensor, stride: int = 1, padding: int = 0,
                   groups: int = 1, impl: str = "auto") -> paddle.Tensor:
    """Grouped convolution without bias: x [N, C, H, W], weight [F, C / groups, k, k] ->
    [N, F, H', W'].

    ``impl``: 'auto' (:func:`choose_impl`), 'reference' (Paddle's kernel) or 'shifted'
    (:func:`shifted_matmul_conv2d`, stride 1 only).
    """
    if impl == "auto":
        impl = choose_impl(x, weight, stride, padding, groups)
    if impl == "reference":
        return reference_grouped_conv2d(x, weight, stride, padding, groups)
    if impl != "shifted":
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    if _square(stride) != 1 or _square(padding) is None:
        raise ValueError(f"the shifted path is for stride 1 and one padding, got stride {stride}, "
                         f"padding {padding}")
    return shifted_matmul_conv2d(x, weight, _square(padding), groups)
