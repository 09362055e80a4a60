"""Contrastive few-shot classification (``--method contrastive``), in the spirit of SetFit.

Stage 1 fine-tunes the encoder so that texts of the same label embed close and
texts of different labels apart: SetFit's cosine-similarity objective, but over
*every* pair inside a class-grouped batch (training/sampling.py) instead of a
pre-built pair list, so memory and time stay linear in the number of examples
(SetFit's pair list is quadratic: setfit #628, #249). Confusable classes share
batches (hard negatives). It runs on the one training loop; only the step differs.

Stage 2 fits a logistic-regression head on the frozen embeddings (as SetFit
does) and writes it into the model's own output layer, so the run stays a plain
transformers classifier: the pooler becomes a near-identity ``tanh(s*x)/s`` with
small ``s`` and the classifier takes the regression's weights.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Callable

import numpy as np
import torch
from accelerate.utils import set_seed
from sklearn.linear_model import LogisticRegression
from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.data.classification import ClassificationData
from headstart.errors import ConfigError
from headstart.evaluation.metrics import classification_metrics
from headstart.models.classifier import build_classifier, count_parameters, head_parameter_names, parameter_groups
from headstart.models.loading import load_tokenizer
from headstart.tasks.classification import TrainedClassifier, pad_id, split_targets
from headstart.tasks.inference import encode_texts, predict_logits
from headstart.training.batching import Collator, Encoded
from headstart.training.config import TrainConfig
from headstart.training.loop import EpochBatches, LoopConfig, fit, make_accelerator
from headstart.training.precision import resolve_precision
from headstart.training.sampling import class_chain, class_grouped_batches, classes_per_batch

POOLER_SCALE = 1e-3
"""``s`` of the near-identity pooler tanh(s*x)/s: relative error below s**2 * max|x|**2 / 3 (about 1e-4 here)."""
MIN_EXAMPLES_SEEN = 1280
"""The contrastive stage sees at least this many texts (40 batches of 32), however few the examples."""
MIN_PASSES = 4
"""...and at least this many passes over the labeled examples."""
HEAD_C = 10.0
"""Inverse regularisation of the logistic-regression head (features scaled to unit median norm)."""
EVALUATIONS = 2
"""Times the stage is scored on validation (each costs one embedding pass over train and validation)."""


def supports_contrastive(model: nn.Module) -> bool:
    """BERT-style classifiers: a dense pooler and a linear output layer the fitted head can be written into."""
    pooler = getattr(getattr(model, "base_model", None), "pooler", None)
    return isinstance(getattr(pooler, "dense", None), nn.Linear) and isinstance(getattr(model, "classifier", None), nn.Linear)


def sentence_embeddings(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The vector the pooler reads: [CLS] of the top layer (the token mean, with headstart's mean-pooling layer)."""
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    return model(**inputs, output_hidden_states=True).hidden_states[-1][:, 0]


def pair_cosine_loss(embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """SetFit's loss, (cos - same_label)^2, averaged over all pairs of the batch; positives and negatives weigh equally."""
    unit = nn.functional.normalize(embeddings.float(), dim=-1)
    cosine = unit @ unit.T
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    positive, negative = same & off_diagonal, ~same
    terms = []
    if positive.any():
        terms.append(((cosine[positive] - 1) ** 2).mean())
    if negative.any():
        terms.append((cosine[negative] ** 2).mean())
    if not terms:  # a batch of one example has no pairs
        return cosine.sum() * 0.0
    return sum(terms) / len(terms)


def contrastive_step(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return pair_cosine_loss(sentence_embeddings(model, batch), batch["labels"])


class _EmbeddingView(nn.Module):
    """Lets the shared batched inference (predict_logits) return sentence embeddings."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, **batch: torch.Tensor) -> SimpleNamespace:
        return SimpleNamespace(logits=sentence_embeddings(self.model, batch))


def embed(model: nn.Module, encoded: Encoded, pad_token_id: int, batch_size: int, mixed_precision: str) -> np.ndarray:
    return predict_logits(_EmbeddingView(model), encoded, pad_token_id, batch_size, mixed_precision)


def fit_head(features: np.ndarray, labels: np.ndarray, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Logistic regression on embeddings; returns (weight [n_classes, dim], bias [n_classes], feature scale)."""
    scale = 1.0 / max(float(np.median(np.linalg.norm(features, axis=1))), 1e-12)
    present = np.unique(labels)
    weight = np.zeros((n_classes, features.shape[1]))
    bias = np.zeros(n_classes)
    if len(present) == 1:
        bias[:] = -1e4
        bias[present[0]] = 0.0
        return weight, bias, scale
    regression = LogisticRegression(C=HEAD_C, max_iter=1000, random_state=seed)
    regression.fit(features * scale, labels)
    coef, intercept = regression.coef_, regression.intercept_
    if len(present) == 2:  # sklearn's binary model has one row: split it symmetrically into two logits
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    bias[:] = -1e4  # classes never seen in training are never predicted
    for row, label in enumerate(regression.classes_):
        weight[label], bias[label] = coef[row], intercept[row]
    return weight, bias, scale


@torch.no_grad()
def install_head(model: nn.Module, weight: np.ndarray, bias: np.ndarray, scale: float) -> None:
    """Write a linear head on embeddings into pooler + classifier (pooler made a near-identity)."""
    dense = model.base_model.pooler.dense
    dense.weight.copy_(torch.eye(dense.weight.shape[0]) * POOLER_SCALE)
    dense.bias.zero_()
    classifier = model.classifier
    classifier.weight.copy_(torch.tensor(weight * scale / POOLER_SCALE, dtype=classifier.weight.dtype))
    classifier.bias.copy_(torch.tensor(bias, dtype=classifier.bias.dtype))


def contrastive_passes(n_examples: int, config: TrainConfig) -> int:
    """Passes over the labeled examples: --contrastive-passes, else enough to see MIN_EXAMPLES_SEEN texts (at least MIN_PASSES)."""
    if config.contrastive_passes is not None:
        return config.contrastive_passes
    return max(MIN_PASSES, math.ceil(MIN_EXAMPLES_SEEN / max(n_examples, 1)))


def train_contrastive(data: ClassificationData, base: ResolvedBase, config: TrainConfig, log: Callable[[str], None] = print) -> TrainedClassifier:
    """Contrastive encoder fine-tuning, then a logistic-regression head; single-label data only."""
    config.validate()
    if data.multi_label:
        raise ConfigError("--method contrastive is for single-label data; use --method full for multi-label classification.")
    if getattr(data, "is_pairs", False):
        raise ConfigError("--method contrastive embeds single texts; for sentence pairs use --method full.")
    set_seed(config.seed)
    tokenizer = load_tokenizer(base)
    model = build_classifier(base, data.label_names, pooling=config.pooling)
    if not supports_contrastive(model):
        raise ConfigError(f"--method contrastive needs a BERT-style encoder with a pooler; {type(model).__name__} is not one. Use --method full.")
    if model.config.pad_token_id is None:
        model.config.pad_token_id = pad_id(tokenizer)
    pad = pad_id(tokenizer)
    train_enc, truncated_train = encode_texts(tokenizer, data.train.texts, config.max_length)
    labels = split_targets(data.train, data.label_names, False, data.label_separator)
    train_enc.labels = labels.tolist()
    val_enc, truncated_val = encode_texts(tokenizer, data.validation.texts, config.max_length)
    val_true = split_targets(data.validation, data.label_names, False, data.label_separator)
    mixed_precision = resolve_precision(config.precision)

    for name in head_parameter_names(model):
        model.get_parameter(name).requires_grad_(False)
    groups = parameter_groups(model, "full", config.resolved_learning_rate(), config.resolved_learning_rate(), config.weight_decay, config.layer_decay)
    trainable, total = count_parameters(model)
    n_classes = len(data.label_names)
    chain = None
    if n_classes > classes_per_batch(n_classes, config.batch_size):
        start = embed(model, train_enc, pad, config.eval_batch_size, mixed_precision)
        centroids = np.stack([start[labels == c].mean(0) if (labels == c).any() else np.zeros(start.shape[1]) for c in range(n_classes)])
        chain = class_chain(centroids)
        log("contrastive: batches group classes whose examples embed close together (hard negatives)")
    evaluations = min(EVALUATIONS, contrastive_passes(len(train_enc), config))
    per_block = math.ceil(contrastive_passes(len(train_enc), config) / evaluations)
    log(f"method contrastive: {per_block * evaluations} passes over {len(train_enc)} examples in class-grouped batches of {config.batch_size}, training {trainable:,} of {total:,} parameters; then a logistic-regression head")

    def block_batches(epoch: int) -> list[list[int]]:
        first = max(epoch - 1, 0) * per_block
        return [b for p in range(first, first + per_block) for b in class_grouped_batches(train_enc.labels, config.batch_size, config.seed * 1000 + p, chain)]

    head: dict[str, object] = {}

    def evaluate(current: nn.Module) -> dict[str, float]:
        features = embed(current, train_enc, pad, config.eval_batch_size, mixed_precision)
        head["fit"] = fit_head(features, labels, n_classes, config.seed)
        weight, bias, scale = head["fit"]
        val_logits = embed(current, val_enc, pad, config.eval_batch_size, mixed_precision) * scale @ weight.T + bias
        scores = classification_metrics(val_true, val_logits.argmax(-1), data.label_names)
        return {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]}

    accelerator = make_accelerator(mixed_precision)
    loop = fit(
        model,
        n_examples=len(train_enc),
        batches=EpochBatches(block_batches),
        collate=Collator(train_enc, pad),
        step=contrastive_step,
        evaluate=evaluate,
        param_groups=groups,
        # A fixed budget, like SetFit: with few examples validation is too small to pick a stopping point.
        config=LoopConfig(evaluations, config.warmup_ratio, config.max_grad_norm, 0, config.metric, mixed_precision, config.schedule),
        accelerator=accelerator,
        log=log,
        keep_best=False,
    )
    model = accelerator.unwrap_model(model)
    if "fit" not in head or loop.interrupted:
        head["fit"] = fit_head(embed(model, train_enc, pad, config.eval_batch_size, mixed_precision), labels, n_classes, config.seed)
    install_head(model, *head["fit"])
    log("contrastive: logistic-regression head written into the model's output layer")
    for param in model.parameters():
        param.requires_grad_(True)
    return TrainedClassifier(model, tokenizer, data.label_names, loop, mixed_precision, trainable, total, {"train": truncated_train, "validation": truncated_val})

