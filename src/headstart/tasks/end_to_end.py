"""End-to-end stage: encoder and fitted head trained together with cross-entropy (SetFit's ``end_to_end``).

It runs after a head has been fitted (``--contrastive-end-to-end N``), on the one
training loop with the classification step. The loop keeps its best epoch; the
model before the stage is the baseline that epoch must beat on validation, so the
stage can only improve the validation score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from headstart.tasks.classification import classification_step
from headstart.tasks.linear_probe import fitted_head_groups
from headstart.training.batching import Collator, Encoded
from headstart.training.config import TrainConfig
from headstart.training.loop import EvalFn, LoopConfig, LoopResult, fit, length_grouped_epochs, make_accelerator


@dataclass
class StageOutcome:
    loop: LoopResult
    baseline: float
    """Validation metric of the model before the stage."""
    kept: bool
    """Whether the stage's best epoch beat the baseline (else the model before it was restored)."""


def end_to_end_stage(
    model: nn.Module,
    encoded: Encoded,
    pad_token_id: int,
    evaluate: EvalFn,
    config: TrainConfig,
    mixed_precision: str,
    log: Callable[[str], None] = print,
) -> StageOutcome:
    """Fine-tune ``model`` (in place) for ``config.contrastive_end_to_end`` epochs on ``encoded`` (with labels)."""
    baseline = evaluate(model)[config.metric]
    snapshot = {k: v.detach().clone() for k, v in model.state_dict().items()}
    groups = fitted_head_groups(model, config)
    log(f"end-to-end: encoder and head trained together with cross-entropy for up to {config.contrastive_end_to_end} epoch(s); validation {config.metric} to beat: {baseline:.4f}")
    accelerator = make_accelerator(mixed_precision)
    loop = fit(
        model,
        n_examples=len(encoded),
        batches=length_grouped_epochs(encoded.lengths(), config.batch_size, config.seed),
        collate=Collator(encoded, pad_token_id),
        step=classification_step,
        evaluate=evaluate,
        param_groups=groups,
        config=LoopConfig(config.contrastive_end_to_end, config.warmup_ratio, config.max_grad_norm, config.patience, config.metric, mixed_precision, config.schedule),
        accelerator=accelerator,
        log=log,
    )
    kept = loop.best_metric > baseline
    if not kept:
        with torch.no_grad():
            accelerator.unwrap_model(model).load_state_dict(snapshot)
    log(f"end-to-end: best validation {config.metric} {loop.best_metric:.4f} (epoch {loop.best_epoch}) vs {baseline:.4f} before: {'kept' if kept else 'not kept, model before the stage restored'}")
    for param in model.parameters():
        param.requires_grad_(True)
    return StageOutcome(loop, baseline, kept)
