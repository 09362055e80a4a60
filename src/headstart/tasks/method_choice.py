"""``--method auto``: pick a training method from the label budget, the base and the data, and say why."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Callable

from headstart.catalog.resolve import ResolvedBase
from headstart.data.classification import ClassificationData
from headstart.errors import ConfigError
from headstart.models.loading import hub_kwargs, quiet_transformers
from headstart.tasks.separability import pretrained_separability
from headstart.training.config import TrainConfig

FEW_SHOT_PER_CLASS = 64
"""Above this many training examples in the median class, every weight is fine-tuned with cross-entropy; at or below,
the pre-trained embedding's separability of the classes decides (``SEPARATED``).

Measured with ``headstart curve --per-class`` on real data (BENCHMARKS.md, "--method auto"): contrastive minus full,
test accuracy, mean of 3 nested samples with 15% of each held out, on SST-2 +4.3 / +7.1 / +3.9 / +3.4 / +2.6 points
at 16 / 32 / 64 / 128 / 256 per class: pairs still lead above 64 per class, but by less, at 8-10x the time."""
SEPARATED = 0.73
"""At or above this pre-trained separability (tasks/separability.py, chance-corrected: 0 chance, 1 perfect), the
classes are already apart in the embedding and full fine-tuning is chosen; below it, contrastive training.

Contrastive minus full at 8-64 per class (same measurements; full with validation-loss tie-breaking), against the
separability of samples of the same size (mean of 3): contrastive ahead on SST-2 (separability -0.25 to 0.49;
+3.9 to +7.1 points), TREC's 6 coarse question types (0.53 / 0.57 at 8 / 16: +11.7 / +6.1; 0.62 at 32: level), TREC's
33 fine ones (0.53 at 8: +1.5) and AG News at 16 (0.68: +1.7); full ahead on BANKING77 restricted to 10 / 20 intents
and on all 77 (0.87 / 0.81 / 0.77 at 8: -2.5 / -3.9 / -6.0) and on CLINC150 (150 intents, at 8: -5.1). AG News at
32 and 64 (0.80 / 0.79) is level (+0.5 / -0.3). The line sits halfway between the highest separability where pairs
won (0.68) and the lowest where full fine-tuning won (0.77); it was fitted on these eight sets. Checked afterwards on
two others: right on SMS spam (0.63 / 0.69 at 8 / 16: contrastive +2.4 / +2.8), wrong on CLINC150's 10 domains (0.63 at
8: contrastive -6.2), whose classes each gather 15 intents: the score misses classes made of several kinds of text."""
CONTRASTIVE_MODEL_TYPES = ("bert",)
"""Architectures whose classifier has the pooler + linear layer the contrastive head is written into."""


def base_model_type(base: ResolvedBase) -> str:
    from transformers import AutoConfig

    quiet_transformers()
    try:
        return str(AutoConfig.from_pretrained(base.location, **hub_kwargs(base)).model_type)
    except (OSError, ValueError):
        return "unknown"


def choose_method(data: ClassificationData, model_type: str, separability: Callable[[], float] = lambda: float("nan")) -> dict[str, Any]:
    """The method to train with and the reason, as saved in the run record (``train.method_choice``).

    ``separability`` is called only when the label budget and the base leave the choice open (it costs one encoder
    pass over the training texts); nan means not measured, and contrastive training is chosen.
    """
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
    if model_type not in CONTRASTIVE_MODEL_TYPES:
        return {"method": "full", "reason": f"{budget} is few-shot, but the base is a '{model_type}' model, which contrastive training does not support; every weight is fine-tuned"}
    score = separability()
    if score >= SEPARATED:
        return {"method": "full", "separability": round(score, 4), "reason": f"{budget}: the pre-trained embedding already separates these classes (separability {score:.2f} >= {SEPARATED}), so contrastive pairs have little to add; full fine-tuning was the more accurate and several times faster on such data (--method contrastive tries pairs)"}
    measured = f"separability {score:.2f} < {SEPARATED}" if score == score else "separability not measured"
    return {"method": "contrastive", "separability": None if score != score else round(score, 4), "reason": f"{budget} (<= {FEW_SHOT_PER_CLASS}), and the pre-trained embedding separates these classes weakly ({measured}): the encoder is tuned on same/different-label pairs and a logistic-regression head is fitted (SetFit-style)"}


def resolve_method(config: TrainConfig, data: ClassificationData, base: ResolvedBase, log: Callable[[str], None] = print) -> tuple[TrainConfig, dict[str, Any] | None]:
    """``config`` with ``method`` made concrete, and the choice (None unless the method was 'auto')."""
    if config.method != "auto":
        return config, None

    def separability() -> float:
        log(f"method auto: measuring how well the pre-trained embedding separates the {len(set(data.train.labels))} classes ({len(data.train)} training texts)")
        return pretrained_separability(base, data.train.texts, data.train.labels, config.max_length)

    choice = choose_method(data, base_model_type(base), separability)
    log(f"method auto -> {choice['method']}: {choice['reason']}")
    if choice["method"] == "contrastive" and config.gradual_unfreeze:
        raise ConfigError("--gradual-unfreeze needs cross-entropy fine-tuning, but --method auto chose contrastive few-shot training for this data; pass --method full (or lora) with it, or drop --gradual-unfreeze.")
    resolved = dataclasses.replace(config, method=choice["method"])
    if resolved.method == "contrastive" and config.head_init != "random":
        log(f"note: --head-init {config.head_init} shapes full fine-tuning; contrastive training fits its own head, so it does not apply")
        resolved = dataclasses.replace(resolved, head_init="random")
    return resolved, choice
