"""Optimisers and the learning-rate schedule of the original (TTUR, linear decay)."""
from __future__ import annotations

from dataclasses import dataclass

import paddle


@dataclass(frozen=True)
class OptimSettings:
    """``lr``, ``beta1``, ``beta2``, ``no_TTUR``, ``niter``, ``niter_decay`` as the original."""

    lr: float = 0.0002
    beta1: float = 0.0
    beta2: float = 0.9
    no_TTUR: bool = False
    niter: int = 50
    niter_decay: int = 0

    def lrs(self, base_lr: float | None = None) -> tuple[float, float]:
        """(G lr, D lr): TTUR halves G's and doubles D's."""
        lr = self.lr if base_lr is None else base_lr
        return (lr, lr) if self.no_TTUR else (lr / 2, lr * 2)

    def base_lr_at(self, epoch: int) -> float:
        """The base lr used during ``epoch`` (1-based), as the original: it decreases by
        ``lr / niter_decay`` at the end of every epoch after the first ``niter``, reaching 0
        after the last epoch ``niter + niter_decay``."""
        decayed = epoch - 1 - self.niter
        if decayed <= 0 or self.niter_decay <= 0:
            return self.lr
        return max(self.lr - decayed * self.lr / self.niter_decay, 0.0)


def make_optimizers(g_params, d_params, settings: OptimSettings):
    """Adam for G (+E) and D with the TTUR learning rates and (beta1, beta2)."""
    lr_g, lr_d = settings.lrs()
    opt_g = paddle.optimizer.Adam(lr_g, beta1=settings.beta1, beta2=settings.beta2,
                                  parameters=g_params, epsilon=1e-8)
    opt_d = None
    if d_params is not None:
        opt_d = paddle.optimizer.Adam(lr_d, beta1=settings.beta1, beta2=settings.beta2,
                                      parameters=d_params, epsilon=1e-8)
    return opt_g, opt_d


def set_learning_rates(opt_g, opt_d, settings: OptimSettings, base_lr: float) -> None:
    lr_g, lr_d = settings.lrs(base_lr)
    opt_g.set_lr(lr_g)
    if opt_d is not None:
        opt_d.set_lr(lr_d)
