"""``--method auto``: pick a training method from the label budget and the data, and say why."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Callable

from headstart.catalog.resolve import ResolvedBase
from headstart.data.classification import ClassificationData
from headstart.errors import ConfigError
from headstart.models.loading import hub_kwargs, quiet_transformers
from headstart.training.config import TrainConfig

FEW_SHOT_PER_CLASS = 8
"""At or below this many training examples in the median class, contrastive few-shot training is chosen.

Conservative on purpose: the bundled demo (about 14 per class after the validation hold-out) stays on full
fine-tuning (0.849 test accuracy), which contrastive training has not yet been measured against at that size."""
CONTRASTIVE_MODEL_TYPES = ("bert",)
"""Architectures whose classifier has the pooler + linear layer the contrastive head is written into."""


def base_model_type(base: ResolvedBase) -> str:
    from transformers import AutoConfig

    quiet_transformers()
    try:
        return str(AutoConfig.from_pretrained(base.location, **hub_kwargs(base)).model_type)
    except (OSError, ValueError):
        return "unknown"


def choose_method(data: ClassificationData, model_type: str) -> dict[str, str]:
    """The method to train with and the reason, as saved in the run record (``train.method_choice``)."""
    counts = Counter(data.train.labels)
    per_class = sorted(counts.values())
    median = per_class[len(per_class) // 2] if per_class else 0
    budget = f"{len(data.train)} training examples, {len(counts)} classes, median {median} per class"
    if data.multi_label:
        return {"method": "full", "reason": f"multi-label data ({budget}): contrastive pairs need one label per text, so every weight is fine-tuned"}
    if getattr(data, "is_pairs", False):
        return {"method": "full", "reason": f"sentence pairs ({budget}): the pair is read jointly, so every weight is fine-tuned"}
    if median > FEW_SHOT_PER_CLASS:
        return {"method": "full", "reason": f"{budget} (> {FEW_SHOT_PER_CLASS}): enough labels to fine-tune every weight with cross-entropy"}
    if model_type not in CONTRASTIVE_MODEL_TYPES:
        return {"method": "full", "reason": f"{budget} is few-shot, but the base is a '{model_type}' model, which contrastive training does not support; every weight is fine-tuned"}
    return {"method": "contrastive", "reason": f"{budget} (<= {FEW_SHOT_PER_CLASS}): few-shot, so the encoder is tuned on same/different-label pairs and a logistic-regression head is fitted (SetFit-style)"}


def resolve_method(config: TrainConfig, data: ClassificationData, base: ResolvedBase, log: Callable[[str], None] = print) -> tuple[TrainConfig, dict[str, str] | None]:
    """``config`` with ``method`` made concrete, and the choice (None unless the method was 'auto')."""
    if config.method != "auto":
        return config, None
    choice = choose_method(data, base_model_type(base))
    log(f"method auto -> {choice['method']}: {choice['reason']}")
    if choice["method"] == "contrastive" and config.gradual_unfreeze:
        raise ConfigError("--gradual-unfreeze needs cross-entropy fine-tuning, but --method auto chose contrastive few-shot training for this data; pass --method full (or lora) with it, or drop --gradual-unfreeze.")
    return dataclasses.replace(config, method=choice["method"]), choice
