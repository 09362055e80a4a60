"""Class-aware batches for contrastive training: each batch holds a few examples of several classes.

SetFit materialises sentence pairs up front; with many classes and thousands of
examples that list is quadratic and runs out of memory or takes hours (setfit
#628, #249). Here a batch of B texts yields all B*(B-1)/2 pairs inside the loss,
so building the batches is linear in the number of examples and every forward
pass is shared by many pairs. Grouping a few examples per class guarantees that
each batch has positives; ordering classes along a nearest-neighbour chain
(``class_chain``) puts confusable classes in the same batch (hard negatives).
"""

from __future__ import annotations

import random

import numpy as np


def classes_per_batch(n_classes: int, batch_size: int) -> int:
    """How many classes share a batch: about four examples each, at least two classes."""
    return max(2, min(n_classes, batch_size // 4))


def class_chain(centroids: np.ndarray) -> list[int]:
    """Classes ordered so that neighbours in the list are near each other (greedy nearest-neighbour walk)."""
    n = len(centroids)
    if n == 0:
        return []
    unit = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T
    order, seen = [0], np.zeros(n, dtype=bool)
    seen[0] = True
    for _ in range(n - 1):
        row = np.where(seen, -np.inf, similarity[order[-1]])
        nxt = int(row.argmax())
        order.append(nxt)
        seen[nxt] = True
    return order


def class_grouped_batches(labels: list[int], batch_size: int, seed: int, chain: list[int] | None = None) -> list[list[int]]:
    """Batches of example indices in which each class present contributes a chunk of several examples.

    Args:
        labels: class index of each example.
        batch_size: the most examples in one batch.
        seed: shuffles examples within classes, the chunking and the batch order.
        chain: class order from :func:`class_chain` (confusable classes together); random when None.

    Returns:
        Batches covering every example exactly once. Time and memory are linear in ``len(labels)``.
    """
    rng = random.Random(seed)
    by_class: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        by_class.setdefault(int(label), []).append(index)
    if not by_class:
        return []
    per_class = max(2, batch_size // classes_per_batch(len(by_class), batch_size))
    chunks: dict[int, list[list[int]]] = {}
    for label, members in by_class.items():
        rng.shuffle(members)
        parts = [members[i : i + per_class] for i in range(0, len(members), per_class)]
        if len(parts) > 1 and len(parts[-1]) == 1:
            parts[-2].extend(parts.pop())  # a lone example has no positive in its chunk
        chunks[label] = parts
    if chain is not None:
        known = [c for c in chain if c in chunks]
        order = known + [c for c in chunks if c not in set(known)]
        start = rng.randrange(len(order))
        order = order[start:] + order[:start]
        if rng.random() < 0.5:
            order.reverse()
    else:
        order = list(chunks)
        rng.shuffle(order)
    stream = [part for round_ in range(max(len(p) for p in chunks.values())) for label in order if round_ < len(chunks[label]) for part in [chunks[label][round_]]]
    batches: list[list[int]] = []
    current: list[int] = []
    for part in stream:
        if current and len(current) + len(part) > batch_size:
            batches.append(current)
            current = []
        current = current + part
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches
