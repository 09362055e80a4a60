"""Learning-rate schedules (multipliers of each group's peak rate, per optimizer step)."""

from __future__ import annotations

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

SLANTED_RATIO = 32
"""ULMFiT: the lowest rate is 1/32 of the peak."""


def schedule_factor(kind: str, step: int, warmup: int, total: int) -> float:
    if kind == "slanted":
        # Howard & Ruder 2018, eq. 3: a short linear rise over cut = warmup steps, then a long linear fall.
        cut = max(1, warmup)
        p = step / cut if step < cut else 1 - (step - cut) / max(1, total - cut)
        return (1 + p * (SLANTED_RATIO - 1)) / SLANTED_RATIO
    if step < warmup:
        return (step + 1) / (warmup + 1)
    if kind == "constant":
        return 1.0
    return max(0.0, (total - step) / max(1, total - warmup))


def make_scheduler(kind: str, optimizer: Optimizer, warmup: int, total: int) -> LambdaLR:
    return LambdaLR(optimizer, lambda step: schedule_factor(kind, step, warmup, total))
