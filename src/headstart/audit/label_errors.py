"""Likely label errors by confident learning (Northcutt, Jiang & Chuang 2021).

1. Out-of-fold predicted probabilities ``p[i, k]`` from a cheap model trained with
   K-fold cross-validation, so no example is scored by a model that saw it.
2. Per-class thresholds ``t[j]``: the mean self-confidence ``p[i, j]`` over the
   examples labeled ``j``.
3. The confident joint: example ``i`` labeled ``y`` counts towards class
   ``k* = argmax_{k : p[i, k] >= t[k]} p[i, k]``. Examples whose ``k*`` exists and
   differs from ``y`` are label-issue candidates.
4. Rank by normalised margin ``p[i, k'] - p[i, y]`` where ``k'`` is the likeliest
   other class: the higher, the likelier the given label is wrong. Candidates come
   first, then every other example by the same margin, so a top-k list is always full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from headstart.errors import DataError


def out_of_fold_probabilities(features, labels: np.ndarray, n_classes: int, folds: int = 5, seed: int = 0, c: float = 1.0) -> np.ndarray:
    """Class probabilities of each example from a logistic regression trained on the other folds.

    Args:
        features: (n, d) dense array or sparse matrix.
        labels: (n,) integer class ids in [0, n_classes).
        n_classes: Number of classes (columns of the result).
        folds: K of the stratified K-fold split; lowered to the smallest class size when needed.
        seed: Seed of the fold split.
        c: Inverse regularisation strength of the logistic regression.

    Raises:
        DataError: when a class has fewer than 2 examples, so no fold split can hold it out.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    counts = np.bincount(labels, minlength=n_classes)
    present = counts[counts > 0]
    if len(present) < 2:
        raise DataError("label-error search needs at least 2 classes with examples; the data has one.")
    k = int(min(folds, present.min()))
    if k < 2:
        raise DataError(
            f"label-error search needs at least 2 examples of every class for cross-validation; "
            f"{int((present < 2).sum())} class(es) have 1. Add examples or drop those classes."
        )
    probs = np.zeros((len(labels), n_classes), dtype=np.float64)
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for train_idx, held_idx in splitter.split(np.zeros(len(labels)), labels):
        model = LogisticRegression(C=c, max_iter=2000)
        model.fit(features[train_idx], labels[train_idx])
        probs[np.ix_(held_idx, model.classes_)] = model.predict_proba(features[held_idx])
    return probs


@dataclass
class LabelIssues:
    """Confident-learning result for n examples."""

    ranking: np.ndarray
    """Example indices, most suspicious first (all n)."""
    flagged: np.ndarray
    """Boolean (n,): off-diagonal in the confident joint."""
    suggested: np.ndarray
    """(n,) likeliest class other than the given one."""
    margin: np.ndarray
    """(n,) p[suggested] - p[given], in [-1, 1]."""
    thresholds: np.ndarray
    """(n_classes,) per-class thresholds t_j."""
    confident_joint: np.ndarray
    """(n_classes, n_classes) counts: given label x confidently predicted class."""


def confident_learning(probs: np.ndarray, labels: np.ndarray) -> LabelIssues:
    """Find and rank likely label errors from out-of-fold probabilities ``probs`` (n, k)."""
    n, n_classes = probs.shape
    rows = np.arange(n)
    thresholds = np.array([probs[labels == j, j].mean() if np.any(labels == j) else 1.0 for j in range(n_classes)])
    above = probs >= thresholds[None, :] - 1e-12
    masked = np.where(above, probs, -np.inf)
    confident_class = masked.argmax(axis=1)
    has_confident = above.any(axis=1)
    joint = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(joint, (labels[has_confident], confident_class[has_confident]), 1)
    flagged = has_confident & (confident_class != labels)
    given = probs[rows, labels]
    others = probs.copy()
    others[rows, labels] = -np.inf
    suggested = others.argmax(axis=1)
    margin = others[rows, suggested] - given
    # lexsort: last key is primary; flagged first, then larger margin, then index for stable ties.
    ranking = np.lexsort((rows, -margin, ~flagged))
    return LabelIssues(ranking, flagged, suggested, margin, thresholds, joint)


def precision_recall_at_k(ranking: np.ndarray, truth: set[int], k: int) -> tuple[float, float]:
    """Precision and recall of the first ``k`` ranked indices against the set ``truth``."""
    top = set(ranking[:k].tolist())
    hits = len(top & truth)
    return hits / max(k, 1), hits / max(len(truth), 1)
