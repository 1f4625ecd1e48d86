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
from paddle import nn
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


def staged_mean(x: paddle.Tensor, axes, keepdim: bool = False) -> paddle.Tensor:
    """Mean over ``axes`` taken one axis at a time (last first).

    Paddle's CPU reduction over several axes at once sums float32 values in one long run: over
    a 128x128 plane its variance is off by ~5e-5 (relative), 70x worse than reducing W, then
    H (~7e-7), which is what torch's cascaded sums give.
    """
    for axis in sorted(axes, reverse=True):
        x = x.mean(axis=axis, keepdim=True)
    return x if keepdim else x.squeeze(list(axes))


def _instance_moments(x: paddle.Tensor):
    """(mean, x - mean, biased variance) per sample and channel; mean and variance [N, C, 1, 1]."""
    mean = staged_mean(x, [2, 3], keepdim=True)
    centred = x - mean
    return mean, centred, staged_mean(centred * centred, [2, 3], keepdim=True)


def instance_norm(x: paddle.Tensor) -> paddle.Tensor:
    """[N, C, H, W] -> [N, C, H, W], normalised per sample and channel."""
    _, centred, var = _instance_moments(x)
    return centred * paddle.rsqrt(var + EPS)


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
        mean, inv_std = self.affine(x)  # [1, C] each
        return (x - mean.reshape([1, -1, 1, 1])) * inv_std.reshape([1, -1, 1, 1])

    def affine(self, x: paddle.Tensor) -> tuple[paddle.Tensor, paddle.Tensor]:
        """``forward(x) == (x - mean) * inv_std``: returns (mean, inv_std), each [N or 1, C].

        ``forward`` goes through it; callers that fold the normalisation into a following
        affine map (ILADE's look-ups) call it instead. In training it updates the running
        statistics.
        """
        if self.kind == "instance":
            mean, _, var = _instance_moments(x)
            mean, var = mean.squeeze([2, 3]), var.squeeze([2, 3])
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
        mean = staged_mean(x, [0, 2, 3])
        var = staged_mean((x - mean.reshape([1, -1, 1, 1])) ** 2, [0, 2, 3])
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
