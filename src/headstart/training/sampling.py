"""Class-aware batches for contrastive training: each batch holds a few examples of several classes.

SetFit materialises sentence pairs up front; with many classes and thousands of
examples that list is quadratic and runs out of memory or takes hours (setfit
#628, #249). Here a batch of B texts yields all B*(B-1)/2 pairs inside the loss,
so building the batches is linear in the number of examples and every forward
pass is shared by many pairs. Grouping a few examples per class guarantees that
each batch has positives. The classes that share a batch are drawn afresh every
pass, so over a run every class meets many others as negatives. (An earlier
nearest-neighbour "chain" that kept confusable classes together, hard negatives,
cost 8 points on BANKING77's 77 classes at 8 per class: a class only ever met its few
chain neighbours, so classes far apart in the chain were never pushed apart.)
"""

from __future__ import annotations

import random


def classes_per_batch(n_classes: int, batch_size: int) -> int:
    """How many classes share a batch: about four examples each, at least two classes."""
    return max(2, min(n_classes, batch_size // 4))


def class_grouped_batches(labels: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """Batches of example indices in which each class present contributes a chunk of several examples.

    Args:
        labels: class index of each example.
        batch_size: the most examples in one batch.
        seed: shuffles examples within classes, which classes share a batch, and the batch order.

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
