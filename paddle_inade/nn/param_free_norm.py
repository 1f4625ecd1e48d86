"""Parameter-free normalisations with torch's semantics and state names.

``instance``: per sample and channel over H, W (biased variance, eps 1e-5), no
state, as ``torch.nn.InstanceNorm2d(affine=False)``. Note that Paddle's own
``InstanceNorm2D`` has learnable affine parameters by default.

``batch`` / ``syncbatch``: as ``torch.nn.BatchNorm2d(affine=False)``: batch
statistics in training (normalising with the biased variance, updating the
running variance with the unbiased one, momentum 0.1), running statistics in
eval. State: ``running_mean``, ``running_var``, ``num_batches_tracked`` (torch's
names, so released checkpoints load unchanged). ``syncbatch`` computes the batch
statistics over all processes when run under ``paddle.distributed`` with more
than one process, and is an ordinary BatchNorm otherwise: the state is the same
either way.
"""
from __future__ import annotations

import paddle
import paddle.nn.functional as F
from paddle import _C_ops, nn
from paddle.autograd import PyLayer

from .norm_spec import PARAM_FREE_KINDS

EPS = 1e-5
MOMENTUM = 0.1


class _AllReduceSum(PyLayer):
    """Sum over processes; its gradient is the sum of every process's gradient."""

    @staticmethod
    def forward(ctx, x):
        out = x.clone()
        paddle.distributed.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        paddle.distributed.all_reduce(grad)
        return grad


def _world_size() -> int:
    if not paddle.distributed.is_initialized():
        return 1
    return paddle.distributed.get_world_size()


def instance_norm_reference(x: paddle.Tensor) -> paddle.Tensor:
    """The readable instance norm: [N, C, H, W] -> [N, C, H, W], per sample and channel."""
    centred = x - x.mean(axis=[2, 3], keepdim=True)
    return centred * paddle.rsqrt((centred * centred).mean(axis=[2, 3], keepdim=True) + EPS)


def instance_norm(x: paddle.Tensor) -> paddle.Tensor:
    """[N, C, H, W] -> [N, C, H, W], normalised per sample and channel.

    Paddle's fused ``instance_norm`` kernel (no scale or bias): the numbers of
    :func:`instance_norm_reference` up to float rounding, 4-8x faster forward and backward on
    the CPU than the composite of means (whose backward is slow in Paddle).
    """
    return F.instance_norm(x, eps=EPS)


def precise_instance_norm(x: paddle.Tensor) -> paddle.Tensor:
    """[N, C, H, W] -> [N, C, H, W]: the instance norm as a composite whose means are taken along
    W, then H (torch's accuracy: Paddle's reductions over both axes at once, and its fused kernel,
    sum float32 values in one long run). Slower than :func:`instance_norm`; GroupDNet's encoder
    uses it: with the fused kernel there its codes move by ~3e-6 and, through the hinge
    loss's thresholds in the discriminator step, D's gradients differ from SMIS's by ~2e-2
    (this version: 2e-5)."""
    mean = x.mean(axis=3, keepdim=True).mean(axis=2, keepdim=True)
    centred = x - mean
    var = (centred * centred).mean(axis=3, keepdim=True).mean(axis=2, keepdim=True)
    return centred * paddle.rsqrt(var + EPS)


def batch_norm_train_reference(x: paddle.Tensor):
    """Readable batch statistics: (mean, biased variance) per channel, [C] each."""
    mean = x.mean(axis=[0, 2, 3])
    var = ((x - mean.reshape([1, -1, 1, 1])) ** 2).mean(axis=[0, 2, 3])
    return mean, var


def running_statistics_reference(running_mean: paddle.Tensor, running_var: paddle.Tensor,
                                 x: paddle.Tensor) -> tuple[paddle.Tensor, paddle.Tensor]:
    """Readable update of the running statistics by one training batch, as torch.

    Args:
        running_mean, running_var: [C] the statistics before the batch.
        x: [N, C, H, W] the batch.
    Returns:
        ([C], [C]): ``(1 - m) * running_mean + m * mean`` and ``(1 - m) * running_var + m *
        biased_var * count / (count - 1)`` with ``m = 0.1`` and ``count = N * H * W``.
    """
    mean, var = batch_norm_train_reference(x)
    count = x.shape[0] * x.shape[2] * x.shape[3]
    unbiased = var * (count / max(count - 1, 1))
    return ((1 - MOMENTUM) * running_mean + MOMENTUM * mean,
            (1 - MOMENTUM) * running_var + MOMENTUM * unbiased)


def _update_from_saved(running_mean: paddle.Tensor, running_var: paddle.Tensor,
                       saved_mean: paddle.Tensor, saved_inv_std: paddle.Tensor, count: int) -> None:
    """Momentum update of the [C] running statistics, in place, from a batch-norm kernel's saved
    batch mean and inverse standard deviation ``1 / sqrt(biased_var + EPS)`` ([C] each)."""
    inv_std = saved_inv_std.astype("float64")
    biased = paddle.clip(1.0 / (inv_std * inv_std) - EPS, min=0.0)  # float64: no cancellation
    unbiased = (biased * (count / max(count - 1, 1))).astype(running_var.dtype)
    paddle.assign((1 - MOMENTUM) * running_mean + MOMENTUM * saved_mean.astype(running_mean.dtype),
                  output=running_mean)
    paddle.assign((1 - MOMENTUM) * running_var + MOMENTUM * unbiased, output=running_var)


def batch_norm_train(x: paddle.Tensor, running_mean: paddle.Tensor,
                     running_var: paddle.Tensor) -> paddle.Tensor:
    """Training-mode batch norm without scale and bias, as ``torch.nn.BatchNorm2d(affine=False)``.

    Args:
        x: [N, C, H, W].
        running_mean, running_var: [C] buffers, updated in place with momentum 0.1 (the running
            variance from the *unbiased* batch variance, as torch): the numbers of
            :func:`running_statistics_reference`.
    Returns:
        [N, C, H, W] normalised with the batch mean and biased variance.

    Paddle's fused kernel (30-100x faster forward + backward on the CPU than the composite of
    :func:`batch_norm_train_reference`). The running statistics the kernel writes are *not*
    used: their convention depends on the backend (Paddle's CPU and CUDA kernels update the
    running variance from the biased batch variance, cuDNN, which Paddle calls for 4-D input
    on CUDA, from the unbiased one). The kernel's saved batch mean and saved inverse standard
    deviation ``1 / sqrt(biased_var + eps)`` mean the same on every backend; the update is
    computed from them here.
    """
    count = x.shape[0] * x.shape[2] * x.shape[3]
    if count < 2:  # the CUDA kernel leaves its saved statistics unset for one value per channel
        mean, var = batch_norm_train_reference(x)
        with paddle.no_grad():
            _update_from_saved(running_mean, running_var, mean, paddle.rsqrt(var + EPS), count)
        return (x - mean.reshape([1, -1, 1, 1])) * paddle.rsqrt(var.reshape([1, -1, 1, 1]) + EPS)
    # The kernel writes its own running statistics into the tensors it is given, and autograd
    # keeps them as its inputs: give it copies, which are then dropped.
    out, _, _, saved_mean, saved_inv_std, _ = _C_ops.batch_norm(
        x, running_mean.clone(), running_var.clone(), None, None, False, 1.0 - MOMENTUM, EPS,
        "NCHW", False, False)
    with paddle.no_grad():
        _update_from_saved(running_mean, running_var, saved_mean, saved_inv_std, count)
    return out


class ParamFreeNorm(nn.Layer):
    """Parameter-free norm of kind ``instance``, ``batch`` or ``syncbatch``.

    Input and output [N, C, H, W].
    """

    def __init__(self, num_features: int, kind: str):
        super().__init__()
        if kind not in PARAM_FREE_KINDS:
            raise ValueError(f"param-free norm {kind!r} is not one of {list(PARAM_FREE_KINDS)}")
        self.kind = kind
        self.num_features = num_features
        if kind != "instance":
            self.register_buffer("running_mean", paddle.zeros([num_features]))
            self.register_buffer("running_var", paddle.ones([num_features]))
            self.register_buffer("num_batches_tracked", paddle.zeros([], dtype="int64"))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if self.kind == "instance":
            return instance_norm(x)
        if self.training and self._fused_batch_norm():
            paddle.assign(self.num_batches_tracked + 1, output=self.num_batches_tracked)
            return batch_norm_train(x, self.running_mean, self.running_var)
        mean, inv_std = self.affine(x)  # [1, C] each
        return (x - mean.reshape([1, -1, 1, 1])) * inv_std.reshape([1, -1, 1, 1])

    def _fused_batch_norm(self) -> bool:
        """Training statistics by Paddle's fused kernel: in dynamic mode, on one process (a
        ``syncbatch`` norm over several processes all-reduces its sums instead)."""
        return paddle.in_dynamic_mode() and not (self.kind == "syncbatch" and _world_size() > 1)

    def affine(self, x: paddle.Tensor) -> tuple[paddle.Tensor, paddle.Tensor]:
        """``forward(x) == (x - mean) * inv_std``: returns (mean, inv_std), each [N or 1, C].

        For callers that fold the normalisation into a following affine map (ILADE's look-ups
        in eval mode). In training it updates the running statistics.
        """
        if self.kind == "instance":
            mean = x.mean(axis=[2, 3])
            centred = x - mean.reshape([*mean.shape, 1, 1])
            var = (centred * centred).mean(axis=[2, 3])
        elif not self.training:
            mean, var = self.running_mean.reshape([1, -1]), self.running_var.reshape([1, -1])
        else:
            mean, var, count = self._batch_moments(x)
            self._update_running(mean, var, count)
            mean, var = mean.reshape([1, -1]), var.reshape([1, -1])
        return mean, paddle.rsqrt(var + EPS)

    def _batch_moments(self, x: paddle.Tensor):
        """Mean and biased variance per channel ([C] each) and the element count."""
        n, _, h, w = x.shape
        count = n * h * w
        if self.kind == "syncbatch" and _world_size() > 1:
            sums = paddle.stack([x.sum(axis=[0, 2, 3]), (x * x).sum(axis=[0, 2, 3])])
            sums = _AllReduceSum.apply(sums)
            count = count * _world_size()
            mean = sums[0] / count
            return mean, sums[1] / count - mean * mean, count
        mean, var = batch_norm_train_reference(x)
        return mean, var, count

    def _update_running(self, mean, var, count: int) -> None:
        with paddle.no_grad():
            unbiased = var * (count / max(count - 1, 1))
            paddle.assign((1 - MOMENTUM) * self.running_mean + MOMENTUM * mean.detach(),
                          output=self.running_mean)
            paddle.assign((1 - MOMENTUM) * self.running_var + MOMENTUM * unbiased.detach(),
                          output=self.running_var)
            paddle.assign(self.num_batches_tracked + 1, output=self.num_batches_tracked)

    def extra_repr(self) -> str:
        return f"{self.num_features}, kind={self.kind}"
