"""A logistic-regression head fitted on sentence embeddings and written into the classifier's own output layer.

The contrastive method fits it after tuning the encoder on pairs (tasks/contrastive.py); ``--head-init probe``
fits it on the *pre-trained* embeddings before full fine-tuning starts (linear probing, then fine-tuning: LP-FT,
Kumar et al. 2022), so fine-tuning begins from a head that already classifies instead of a random one.

The run stays a plain transformers classifier: the pooler becomes a near-identity ``tanh(s*x)/s`` with small ``s``
and the classifier takes the regression's weights (scaled by 1/s). Training after that keeps the pooler frozen and
scales the output layer's step alike (:func:`fitted_head_groups`).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn

from headstart.models.classifier import head_parameter_names, parameter_groups
from headstart.tasks.inference import predict_logits
from headstart.training.batching import Encoded
from headstart.training.config import TrainConfig

POOLER_SCALE = 1e-3
"""``s`` of the near-identity pooler tanh(s*x)/s: relative error below s**2 * max|x|**2 / 3 (about 1e-4 here)."""
HEAD_C = 10.0
"""Inverse regularisation of the logistic-regression head (features scaled to unit median norm)."""


def supports_fitted_head(model: nn.Module) -> bool:
    """BERT-style classifiers: a dense pooler and a linear output layer the fitted head can be written into."""
    pooler = getattr(getattr(model, "base_model", None), "pooler", None)
    return isinstance(getattr(pooler, "dense", None), nn.Linear) and isinstance(getattr(model, "classifier", None), nn.Linear)


def sentence_embeddings(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The vector the pooler reads: [CLS] of the top layer (the token mean, with headstart's mean-pooling layer)."""
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    return model(**inputs, output_hidden_states=True).hidden_states[-1][:, 0]


class _EmbeddingView(nn.Module):
    """Lets the shared batched inference (predict_logits) return sentence embeddings."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, **batch: torch.Tensor) -> SimpleNamespace:
        return SimpleNamespace(logits=sentence_embeddings(self.model, batch))


def embed(model: nn.Module, encoded: Encoded, pad_token_id: int, batch_size: int, mixed_precision: str) -> np.ndarray:
    return predict_logits(_EmbeddingView(model), encoded, pad_token_id, batch_size, mixed_precision)


def fit_head(features: np.ndarray, labels: np.ndarray, n_classes: int, seed: int, c: float = HEAD_C) -> tuple[np.ndarray, np.ndarray, float]:
    """Logistic regression (inverse regularisation ``c``) on embeddings; returns (weight [n_classes, dim], bias [n_classes], feature scale)."""
    scale = 1.0 / max(float(np.median(np.linalg.norm(features, axis=1))), 1e-12)
    present = np.unique(labels)
    weight = np.zeros((n_classes, features.shape[1]))
    bias = np.zeros(n_classes)
    if len(present) == 1:
        bias[:] = -1e4
        bias[present[0]] = 0.0
        return weight, bias, scale
    regression = LogisticRegression(C=c, max_iter=1000, random_state=seed)
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


def probe_head(model: nn.Module, encoded: Encoded, pad_token_id: int, n_classes: int, config: TrainConfig, mixed_precision: str) -> None:
    """Fit the head on ``model``'s current embeddings of ``encoded`` (with labels) and install it."""
    features = embed(model, encoded, pad_token_id, config.eval_batch_size, mixed_precision)
    install_head(model, *fit_head(features, np.asarray(encoded.labels), n_classes, config.seed))


def fitted_head_groups(model: nn.Module, config: TrainConfig) -> list[dict]:
    """Optimizer groups once a fitted head is installed: encoder at the learning rate (with layer decay), output layer
    at the head rate; the pooler stays frozen.

    The output layer's weights are 1/s larger than the head they represent (the near-identity pooler). AdamW steps
    are absolute, so the weight's rate is scaled alike; without weight decay, which would shrink it by lr*decay per step.
    """
    for name in head_parameter_names(model):
        model.get_parameter(name).requires_grad_(False)
    groups = parameter_groups(model, "full", config.resolved_learning_rate(), config.resolved_head_learning_rate(), config.weight_decay, config.layer_decay)
    classifier = model.classifier
    classifier.weight.requires_grad_(True)
    classifier.bias.requires_grad_(True)
    head_lr = config.resolved_head_learning_rate()
    return groups + [{"params": [classifier.weight], "lr": head_lr / POOLER_SCALE, "weight_decay": 0.0}, {"params": [classifier.bias], "lr": head_lr, "weight_decay": 0.0}]
