"""Step-counted masked-LM training on a corpus through the one loop, with checkpoints and resume.

Shared by ``adapt`` (continued pre-training) and ``pretrain`` (from scratch):
the data order is planned up front from the seed (:mod:`.schedule`), every
``checkpoint_every`` steps the full state is saved (:mod:`.checkpoint`), and a
resumed run restores it and skips the batches already done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from headstart.corpus.reader import Corpus
from headstart.pretrain.checkpoint import Checkpoint, read_checkpoint, restore_checkpoint, save_checkpoint
from headstart.pretrain.objectives import HeadWarmupStep
from headstart.pretrain.schedule import ExampleOrder, step_batches
from headstart.training.loop import EpochBatches, EvalFn, LoopConfig, LoopResult, LoopState, fit, make_accelerator


@dataclass
class StepPlan:
    """How many steps, how big, how often to checkpoint."""

    steps: int
    batch_size: int
    warmup_ratio: float
    max_grad_norm: float
    checkpoint_every: int
    seed: int
    mixed_precision: str = "no"


@dataclass
class SessionResult:
    model: nn.Module
    loop: LoopResult
    resumed_from: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def train_steps(
    model: nn.Module,
    corpus: Corpus,
    make_collate: Callable[[ExampleOrder], Callable[[list[int]], dict[str, torch.Tensor]]],
    evaluate: EvalFn,
    param_groups: list[dict],
    plan: StepPlan,
    step: HeadWarmupStep,
    checkpoints: Path,
    fingerprint: dict[str, Any],
    resume: bool,
    on_step: Callable[[LoopState, dict], None] | None = None,
    log: Callable[[str], None] = print,
) -> SessionResult:
    """Train ``model`` for ``plan.steps`` steps; ``on_step`` may record values into the dict kept with checkpoints."""
    order = ExampleOrder(corpus.train, plan.seed)
    planned = step_batches(order, corpus.documents.byte_length, plan.steps, plan.batch_size, plan.seed)
    extra: dict[str, Any] = {}
    result = SessionResult(model, LoopResult(), extra=extra)

    accelerator = make_accelerator(plan.mixed_precision)

    def after_step(state: LoopState) -> None:
        done = state.result.optimizer_steps
        if on_step is not None:
            on_step(state, extra)
        if done % plan.checkpoint_every == 0 or done == plan.steps:
            if accelerator.is_main_process:  # processes hold the same weights; one writes, the others wait for it
                save_checkpoint(checkpoints, accelerator.unwrap_model(state.model), state.optimizer, state.scheduler, Checkpoint(done, state.epoch, state.step_in_epoch, fingerprint, step.losses, extra))
            accelerator.wait_for_everyone()

    def restore(state: LoopState) -> None:
        saved, raw = read_checkpoint(checkpoints, fingerprint)
        step.rng_state = restore_checkpoint(checkpoints, raw, accelerator.unwrap_model(state.model), state.optimizer, state.scheduler)
        state.epoch, state.step_in_epoch = saved.epoch, saved.step_in_epoch
        state.result.optimizer_steps = saved.optimizer_steps
        step.calls, step.losses = saved.optimizer_steps, list(saved.losses)
        extra.update(saved.extra)
        result.resumed_from = saved.optimizer_steps
        log(f"resuming from the checkpoint at step {saved.optimizer_steps} of {plan.steps}")

    resuming = resume and (checkpoints / "state.json").is_file()
    if resume and not resuming:
        log(f"no checkpoint at {checkpoints}: starting from the beginning")
    result.loop = fit(
        model,
        n_examples=plan.steps * plan.batch_size,
        batches=EpochBatches(lambda epoch: planned),
        collate=make_collate(order),
        step=step,
        evaluate=evaluate,
        param_groups=param_groups,
        config=LoopConfig(1, plan.warmup_ratio, plan.max_grad_norm, 0, "mlm_accuracy", plan.mixed_precision),
        accelerator=accelerator,
        log=log,
        keep_best=False,
        after_step=after_step,
        resume=restore if resuming else None,
    )
    result.model = accelerator.unwrap_model(model)
    for param in result.model.parameters():
        param.requires_grad_(True)
    if result.loop.interrupted:
        log(f"interrupted at step {result.loop.optimizer_steps}; continue with --resume (checkpoints: {checkpoints})")
        raise KeyboardInterrupt
    return result
