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

FEW_SHOT_PER_CLASS = 64
"""At or below this many training examples in the median class (and few classes), contrastive training is chosen."""
CONTRASTIVE_MAX_CLASSES = 50
"""...and at most this many classes; with more, every weight is fine-tuned with cross-entropy whatever the budget.

Both measured with ``headstart curve --per-class`` on real data (BENCHMARKS.md, "--method auto: contrastive against
full fine-tuning"), test accuracy of contrastive minus full, mean over 3 nested samples (2 for CLINC150, AG News at
128) with 15% of each held out: SST-2 (2 classes) +6.0 / +7.1 / +5.1 / +3.4 / +2.6 points at 16 / 32 / 64 / 128 / 256
per class; AG News (4) +2.0 / +0.5 / -0.1 / +0.3 at 16 / 32 / 64 / 128; TREC (6) +15.3 / +18.8 / +1.1 at 8 / 16 / 32;
TREC's fine labels (33 with 20+ examples) +4.2 at 8. At 8 per class on BANKING77 restricted to 10 / 20 of its intents
and on all 77: +0.6 / -2.4 / -4.5, on CLINC150's 150 intents -4.9 (and -2.6 on the bundled demo, 77 intents, about 14
per class). Contrastive training costs 3-11x full's time (32 passes against at most 8 epochs, more as the examples
grow); above 64 per class its lead shrinks. The class line is not a law: what decides is more the task than the count
(TREC's 33 question types gain from pairs, BANKING77's 20 intents do not). At 50 it sits between the largest measured
win (33 classes) and the many-intent losses (77, 150), and is wrong on one measured set, BANKING77's 20 intents."""
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
        return {"method": "full", "reason": f"{budget} (> {FEW_SHOT_PER_CLASS}): enough labels to fine-tune every weight with cross-entropy (contrastive training's lead shrinks as labels grow while its cost grows; --method contrastive tries it)"}
    if len(counts) > CONTRASTIVE_MAX_CLASSES:
        return {"method": "full", "reason": f"{budget}: with more than {CONTRASTIVE_MAX_CLASSES} classes, full fine-tuning was the more accurate and several times faster on the many-class data measured, so every weight is fine-tuned (--method contrastive tries pairs)"}
    if model_type not in CONTRASTIVE_MODEL_TYPES:
        return {"method": "full", "reason": f"{budget} is few-shot, but the base is a '{model_type}' model, which contrastive training does not support; every weight is fine-tuned"}
    return {"method": "contrastive", "reason": f"{budget} (<= {FEW_SHOT_PER_CLASS}, at most {CONTRASTIVE_MAX_CLASSES} classes): few-shot, so the encoder is tuned on same/different-label pairs and a logistic-regression head is fitted (SetFit-style)"}


def resolve_method(config: TrainConfig, data: ClassificationData, base: ResolvedBase, log: Callable[[str], None] = print) -> tuple[TrainConfig, dict[str, str] | None]:
    """``config`` with ``method`` made concrete, and the choice (None unless the method was 'auto')."""
    if config.method != "auto":
        return config, None
    choice = choose_method(data, base_model_type(base))
    log(f"method auto -> {choice['method']}: {choice['reason']}")
    if choice["method"] == "contrastive" and config.gradual_unfreeze:
        raise ConfigError("--gradual-unfreeze needs cross-entropy fine-tuning, but --method auto chose contrastive few-shot training for this data; pass --method full (or lora) with it, or drop --gradual-unfreeze.")
    return dataclasses.replace(config, method=choice["method"]), choice
