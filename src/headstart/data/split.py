"""Deterministic stratified splits."""

from __future__ import annotations

import random
from collections import defaultdict


def stratified_split(labels: list[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Split indices into (kept, held_out) with about ``fraction`` of each class held out.

    A class with a single example stays in the kept part: it cannot be evaluated
    and still be learned.
    """
    by_class: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_class[label].append(index)
    rng = random.Random(seed)
    kept, held = [], []
    for label in sorted(by_class):
        members = by_class[label][:]
        rng.shuffle(members)
        n_held = int(round(len(members) * fraction)) if len(members) > 1 else 0
        n_held = min(max(n_held, 1 if len(members) > 2 else 0), len(members) - 1)
        held.extend(members[:n_held])
        kept.extend(members[n_held:])
    return sorted(kept), sorted(held)
