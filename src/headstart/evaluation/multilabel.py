"""Multi-label metrics: per-label decisions by a threshold tuned on validation data."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits))


def tune_threshold(y_true: np.ndarray, probs: np.ndarray) -> float:
    """The global threshold in 0.05..0.95 with the best micro-F1 (ties: closest to 0.5)."""
    scores = [(f1_score(y_true, probs >= t, average="micro", zero_division=0), -abs(t - 0.5), float(t)) for t in THRESHOLDS]
    return max(scores)[2]


def multilabel_metrics(y_true: np.ndarray, probs: np.ndarray, threshold: float, label_names: list[str]) -> dict[str, Any]:
    """Subset accuracy ('accuracy'), micro- and macro-F1, per-label scores at ``threshold``."""
    y_true = np.asarray(y_true).astype(int)
    y_pred = (np.asarray(probs) >= threshold).astype(int)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    present = y_true.sum(axis=0) > 0
    return {
        "n_examples": int(len(y_true)),
        "accuracy": float((y_true == y_pred).all(axis=1).mean()),
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(np.mean(f1[present])) if present.any() else 0.0,
        "threshold": float(threshold),
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]), "support": int(support[i])}
            for i, name in enumerate(label_names)
        },
        "labels": list(label_names),
    }


def multi_hot(label_sets: list[list[str]], label_names: list[str]) -> np.ndarray:
    index = {name: i for i, name in enumerate(label_names)}
    out = np.zeros((len(label_sets), len(label_names)), dtype=np.float32)
    for row, labels in enumerate(label_sets):
        for label in labels:
            out[row, index[label]] = 1.0
    return out
