"""How well the pre-trained sentence embedding already separates the labeled classes: the signal behind ``--method auto``.

Contrastive training reshapes the embedding so that same-label texts sit together. Where the pre-trained embedding
already groups the classes (banking intents, news topics), there is little left for pairs to do and cross-entropy
fine-tuning of every weight did better; where it does not (sentiment, question types), pairs gained most
(BENCHMARKS.md, "`--method auto`"). The score is the leave-one-out nearest-centroid accuracy of the training texts'
mean-pooled, unit-length embeddings (each text left out of its own class mean), chance-corrected:
(accuracy - 1/K) / (1 - 1/K) for K classes, so 0 is chance and 1 is perfect.
"""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np

from headstart.catalog.resolve import ResolvedBase
from headstart.tasks.inference import embed_texts

PER_CLASS_CAP = 64
"""Classes with more training texts than this are scored on a fixed random sample of this many (the cost stays one
encoder pass over at most 64 texts per class)."""


def loo_centroid_separability(vectors: np.ndarray, labels: np.ndarray) -> float:
    """Chance-corrected leave-one-out nearest-centroid accuracy (cosine) of unit-length ``vectors``; nan below 2 classes."""
    classes, y = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        return float("nan")
    x = np.asarray(vectors, dtype=np.float64)
    counts = np.bincount(y, minlength=len(classes)).astype(np.float64)
    sums = np.zeros((len(classes), x.shape[1]))
    np.add.at(sums, y, x)
    means = sums / counts[:, None]
    scores = x @ (means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)).T
    # Each text's own class mean without it; a class of one then has no mean to compare with.
    own = sums[y] - x
    own_norm = np.linalg.norm(own, axis=1)
    rows = np.arange(len(y))
    scores[rows, y] = np.where(own_norm > 1e-12, (own * x).sum(1) / np.maximum(own_norm, 1e-12), -np.inf)
    accuracy = float((scores.argmax(1) == y).mean())
    chance = 1.0 / len(classes)
    return (accuracy - chance) / (1.0 - chance)


def capped_sample(labels: list[str], cap: int = PER_CLASS_CAP, seed: int = 0) -> list[int]:
    """Indices of at most ``cap`` examples per class (a fixed random choice where a class has more), in input order."""
    by_class: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_class[label].append(index)
    rng = random.Random(seed)
    keep = [i for members in by_class.values() for i in (members if len(members) <= cap else rng.sample(members, cap))]
    return sorted(keep)


def pretrained_separability(base: ResolvedBase, texts: list[str], labels: list[str], max_length: int) -> float:
    """The separability score of the labeled texts under ``base``'s pre-trained embedding (module docstring)."""
    keep = capped_sample(labels)
    vectors = embed_texts(base, [texts[i] for i in keep], max_length)
    return loo_centroid_separability(vectors, np.array([labels[i] for i in keep]))
