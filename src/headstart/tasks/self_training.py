"""Self-training: which unlabeled texts become training examples, under which label.

A model's confident predictions on unlabeled texts (pseudo-labels) add examples
where labels are scarce. Two guards keep them from drowning the real labels:
a probability threshold, and a per-class cap proportional to the labeled budget,
so a class the model over-predicts cannot flood the training set.
"""

from __future__ import annotations

import numpy as np


def pseudo_label_cap(labels: np.ndarray, ratio: int) -> int:
    """Most pseudo-labels one class may get: ``ratio`` times the labeled examples of the median class."""
    counts = np.bincount(labels)
    present = np.sort(counts[counts > 0])
    return int(ratio * present[len(present) // 2]) if len(present) else 0


def select_pseudo_labels(probabilities: np.ndarray, labels: np.ndarray, threshold: float, ratio: int) -> tuple[np.ndarray, np.ndarray]:
    """The unlabeled examples to train on and their pseudo-labels.

    Args:
        probabilities: class probabilities of each unlabeled text, shape [texts, classes].
        labels: class index of each labeled training example (sets the per-class cap).
        threshold: keep a text only when its top probability is at least this.
        ratio: per-class cap = ratio x labeled examples of the median class; the most confident are kept.

    Returns:
        (indices into the unlabeled texts, ascending; their predicted class indices).
    """
    if not len(probabilities):
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    predicted = probabilities.argmax(-1)
    confidence = probabilities.max(-1)
    cap = pseudo_label_cap(labels, ratio)
    chosen: list[int] = []
    for label in np.unique(labels):
        candidates = np.flatnonzero((predicted == label) & (confidence >= threshold))
        most_confident = candidates[np.argsort(-confidence[candidates], kind="stable")]
        chosen.extend(most_confident[:cap].tolist())
    indices = np.array(sorted(chosen), dtype=int)
    return indices, predicted[indices]
