"""Classification metrics: accuracy, macro-F1, per-class scores, confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support


def classification_metrics(y_true: list[int] | np.ndarray, y_pred: list[int] | np.ndarray, label_names: list[str]) -> dict[str, Any]:
    """Scores of one split, JSON-serialisable.

    Returns a dict with ``accuracy``, ``macro_f1``, ``n_examples``, ``per_class``
    (precision, recall, f1, support per label name) and ``confusion_matrix``
    (rows = true label, columns = predicted, in ``label_names`` order).
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    labels = list(range(len(label_names)))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    present = sorted(set(y_true.tolist()))
    return {
        "n_examples": int(len(y_true)),
        "accuracy": float((y_true == y_pred).mean()) if len(y_true) else float("nan"),
        # Macro-F1 over the classes present in this split, so a split lacking a class is not penalised for it.
        "macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)) if len(y_true) else float("nan"),
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]), "support": int(support[i])}
            for i, name in enumerate(label_names)
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "labels": list(label_names),
    }


def logit_loss(y_true: np.ndarray, logits: np.ndarray, multi_label: bool) -> float:
    """Mean training loss of ``logits`` against the truth: cross-entropy (single-label), per-label binary cross-entropy (multi-label)."""
    logits = np.asarray(logits, dtype=np.float64)
    if not len(logits):
        return float("nan")
    if multi_label:
        truth = np.asarray(y_true, dtype=np.float64)
        # log(1 + e^x) - t*x, computed without overflow
        return float((np.logaddexp(0.0, logits) - truth * logits).mean())
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(-log_probs[np.arange(len(logits)), np.asarray(y_true)].mean())


def headline(metrics: dict[str, Any]) -> str:
    return f"accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f} on {metrics['n_examples']} examples"
