"""Text classification: the core path that every method plugs into."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from accelerate.utils import set_seed
from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.data.classification import ClassificationData, LabeledTexts
from headstart.errors import ConfigError, DataError
from headstart.evaluation.metrics import classification_metrics, logit_loss
from headstart.evaluation.multilabel import multi_hot, multilabel_metrics, sigmoid, tune_threshold
from headstart.models.classifier import build_classifier, count_parameters, parameter_groups
from headstart.models.loading import load_tokenizer
from headstart.models.lora import apply_lora
from headstart.models.verbalizer import init_head_from_label_words, label_words_for, wrap_in_template
from headstart.tasks.generation import template_text
from headstart.tasks.inference import encode_texts, pad_id, predict_logits
from headstart.tasks.linear_probe import fitted_head_groups, probe_head, supports_fitted_head
from headstart.training.batching import Collator
from headstart.training.config import TrainConfig
from headstart.training.loop import LoopResult, fit, length_grouped_epochs, loop_config, make_accelerator
from headstart.training.precision import resolve_precision


def classification_step(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy of the classifier's logits (computed inside the model)."""
    return model(**batch).loss


def weighted_classification_step(weights: torch.Tensor) -> Callable[[nn.Module, dict[str, torch.Tensor]], torch.Tensor]:
    """Cross-entropy with per-class weights (imbalanced data)."""

    def step(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        logits = model(**inputs).logits.float()
        return nn.functional.cross_entropy(logits, batch["labels"], weight=weights.to(logits.device))

    return step


def balanced_weights(labels: list[int], n_classes: int) -> torch.Tensor:
    """Inverse-frequency weights normalised to mean 1 (sklearn's 'balanced')."""
    counts = np.bincount(labels, minlength=n_classes).astype(float)
    weights = len(labels) / (n_classes * np.maximum(counts, 1))
    return torch.tensor(weights, dtype=torch.float)


@dataclass
class TrainedClassifier:
    model: nn.Module
    tokenizer: object
    label_names: list[str]
    loop: LoopResult
    mixed_precision: str
    trainable_parameters: int
    total_parameters: int
    truncated: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, dict] = field(default_factory=dict)
    threshold: float | None = None
    """Multi-label decision threshold (tuned on validation); None for single-label."""
    eval_logits: dict[str, np.ndarray] = field(default_factory=dict)
    """Logits on each evaluated split (for calibration in the report)."""
    stages: dict = field(default_factory=dict)
    """What each training stage did and whether it was kept (--method contrastive), saved as ``stages`` in headstart.yaml."""


def split_targets(split: LabeledTexts, label_names: list[str], multi_label: bool, separator: str) -> np.ndarray:
    """Class indices (single-label) or a multi-hot matrix (multi-label) for a split."""
    if multi_label:
        return multi_hot([label.split(separator) for label in split.labels], label_names)
    index = {name: i for i, name in enumerate(label_names)}
    return np.array([index[label] for label in split.labels])


def score_logits(y_true: np.ndarray, logits: np.ndarray, label_names: list[str], multi_label: bool, threshold: float | None = None) -> dict:
    """Split metrics from logits; multi-label tunes the threshold when none is given."""
    if not multi_label:
        return classification_metrics(y_true, logits.argmax(-1), label_names)
    probs = sigmoid(logits)
    return multilabel_metrics(y_true, probs, tune_threshold(y_true, probs) if threshold is None else threshold, label_names)


def evaluate_split(model: nn.Module, tokenizer, split: LabeledTexts, label_names: list[str], config: TrainConfig, mixed_precision: str = "no", multi_label: bool = False, separator: str = "|", threshold: float | None = None) -> tuple[dict, np.ndarray]:
    """Metrics of ``model`` on a labeled split, and its logits."""
    encoded, _ = encode_texts(tokenizer, split.texts, config.max_length, split.pairs)
    logits = predict_logits(model, encoded, pad_id(tokenizer), config.eval_batch_size, mixed_precision)
    return score_logits(split_targets(split, label_names, multi_label, separator), logits, label_names, multi_label, threshold), logits


@dataclass
class TrainingSetup:
    """What every encoder task prepares before the loop: optimizer groups, precision, accelerator, epoch batches."""

    groups: list[dict]
    trainable: int
    total: int
    mixed_precision: str
    accelerator: object
    batches: object


def prepare_training(model: nn.Module, config: TrainConfig, lengths: list[int], log: Callable[[str], None]) -> TrainingSetup:
    """Parameter groups for ``config.method`` (logged), precision, accelerator and length-grouped epoch batches."""
    if config.head_init == "probe":
        groups = fitted_head_groups(model, config)
    else:
        groups = parameter_groups(model, config.method, config.resolved_learning_rate(), config.resolved_head_learning_rate(), config.weight_decay, config.layer_decay)
    trainable, total = count_parameters(model)
    log(f"method {config.method}: training {trainable:,} of {total:,} parameters")
    mixed_precision = resolve_precision(config.precision)
    return TrainingSetup(groups, trainable, total, mixed_precision, make_accelerator(mixed_precision), length_grouped_epochs(lengths, config.batch_size, config.seed))


DEFAULT_PROMPT_TEMPLATE = "{input}\nAnswer:"


def prompt_head(model: nn.Module, base: ResolvedBase, tokenizer, data: ClassificationData, config: TrainConfig, log: Callable[[str], None]) -> None:
    """--label-words: wrap texts in the prompt (inside the tokenizer) and start the head from the label words' LM scores."""
    if data.is_pairs or data.multi_label:
        raise ConfigError("--label-words (prompt-based fine-tuning) is for single-text, single-label classification; drop it for sentence pairs or multi-label data.")
    words = label_words_for(data.label_names, config.label_words)
    template = template_text(config.prompt_template or DEFAULT_PROMPT_TEMPLATE)
    wrap_in_template(tokenizer, template)
    token_ids = init_head_from_label_words(model, base, tokenizer, words)
    log(f"prompt-based fine-tuning: texts wrapped in {template!r}; head starts from the scores of {dict(zip(data.label_names, tokenizer.convert_ids_to_tokens(token_ids)))}")


def start_from_probe(model: nn.Module, train_enc, data: ClassificationData, config: TrainConfig, log: Callable[[str], None]) -> None:
    """--head-init probe: the output layer starts as a logistic regression on the pre-trained embeddings of the training texts."""
    if data.multi_label or data.is_pairs:
        raise ConfigError(f"--head-init probe fits a single-label head on single-text embeddings; this data is {'multi-label' if data.multi_label else 'sentence pairs'}. Use --head-init random.")
    if not supports_fitted_head(model):
        raise ConfigError(f"--head-init probe needs a BERT-style encoder with a pooler; {type(model).__name__} is not one. Use --head-init random.")
    probe_head(model, train_enc, model.config.pad_token_id, len(data.label_names), config, resolve_precision(config.precision))
    log("head-init probe: logistic-regression head fitted on the pre-trained embeddings; fine-tuning starts from it")


def train_classifier(data: ClassificationData, base: ResolvedBase, config: TrainConfig, log: Callable[[str], None] = print) -> TrainedClassifier:
    """Fine-tune ``base`` on ``data`` with ``config.method``; the model returned holds the best validation weights."""
    config.validate()
    if not len(data.validation):
        raise DataError(f"no validation examples: training picks its best epoch on them, but the {len(data.train)} training examples came with none. Give a validation file, or hold some training examples out (headstart train holds out --validation-fraction, 0.15 by default).")
    if config.method in ("auto", "contrastive"):
        from headstart.tasks.method_choice import resolve_method  # these modules build on this one
        from headstart.tasks.contrastive import train_contrastive

        config, _ = resolve_method(config, data, base, log)
        if config.method == "contrastive":
            return train_contrastive(data, base, config, log)
    if data.unlabeled is not None:
        raise ConfigError(f"--unlabeled texts are used by --method contrastive (self-training); this run trains with --method {config.method}. Pass --method contrastive, or drop --unlabeled.")
    if config.contrastive_end_to_end:
        raise ConfigError(f"--contrastive-end-to-end follows the contrastive stage; this run trains with --method {config.method} (see the method line above). Pass --method contrastive, or drop the flag (--epochs sets cross-entropy fine-tuning).")
    set_seed(config.seed)
    tokenizer = load_tokenizer(base)
    if data.multi_label and config.class_weights != "none":
        raise ConfigError("--class-weights balanced is for single-label data; multi-label runs tune a decision threshold instead.")
    problem = "multi_label_classification" if data.multi_label else "single_label_classification"
    model = build_classifier(base, data.label_names, problem, pooling=config.pooling)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = pad_id(tokenizer)
    if config.label_words:
        prompt_head(model, base, tokenizer, data, config, log)
    train_enc, truncated_train = encode_texts(tokenizer, data.train.texts, config.max_length, data.train.pairs)
    train_enc.labels = split_targets(data.train, data.label_names, data.multi_label, data.label_separator).tolist()
    val_enc, truncated_val = encode_texts(tokenizer, data.validation.texts, config.max_length, data.validation.pairs)
    val_true = split_targets(data.validation, data.label_names, data.multi_label, data.label_separator)
    for name, count, total in (("train", truncated_train, len(data.train)), ("validation", truncated_val, len(data.validation))):
        if count:
            log(f"note: {count} of {total} {name} {'pairs' if data.is_pairs else 'texts'} are longer than --max-length {config.max_length} tokens and were truncated")

    if config.method == "lora":
        model = apply_lora(model, config.lora_r, config.lora_alpha, config.lora_dropout)
    if config.head_init == "probe":
        start_from_probe(model, train_enc, data, config, log)
    setup = prepare_training(model, config, train_enc.lengths(), log)
    mixed_precision, accelerator = setup.mixed_precision, setup.accelerator

    def evaluate(current: nn.Module) -> dict[str, float]:
        logits = predict_logits(current, val_enc, pad_id(tokenizer), config.eval_batch_size, mixed_precision)
        scores = score_logits(val_true, logits, data.label_names, data.multi_label)
        return {**{k: scores[k] for k in ("accuracy", "macro_f1", "micro_f1", "threshold") if k in scores}, "loss": logit_loss(val_true, logits, data.multi_label)}

    loop = fit(
        model,
        n_examples=len(train_enc),
        batches=setup.batches,
        collate=Collator(train_enc, pad_id(tokenizer)),
        step=weighted_classification_step(balanced_weights(train_enc.labels, len(data.label_names))) if config.class_weights == "balanced" else classification_step,
        evaluate=evaluate,
        param_groups=setup.groups,
        config=loop_config(config, config.metric, mixed_precision, tie_breaker="loss"),
        accelerator=accelerator,
        log=log,
    )
    model = accelerator.unwrap_model(model)
    threshold = None
    if data.multi_label:
        threshold = evaluate(model)["threshold"]
        model.config.multi_label_threshold = threshold
        log(f"multi-label decision threshold tuned on validation: {threshold:.2f}")
    if config.method != "lora":
        for param in model.parameters():
            param.requires_grad_(True)
    return TrainedClassifier(model, tokenizer, data.label_names, loop, mixed_precision, setup.trainable, setup.total, {"train": truncated_train, "validation": truncated_val}, threshold=threshold)
