"""A fixed, seeded order of training examples for step-based pre-training.

Pre-training is counted in optimizer steps, not epochs. Example number ``v``
is document ``train[perm_c[v % n]]`` of pass ``c = v // n``, each pass a fresh
seeded permutation, so the whole order is a pure function of the seed: a run
resumed at step ``k`` sees exactly the batches an uninterrupted run would.
"""

from __future__ import annotations

import random
from functools import lru_cache

from headstart.training.batching import length_grouped_batches


class ExampleOrder:
    """Maps example numbers to document indices, cycling through seeded permutations."""

    def __init__(self, documents: list[int], seed: int):
        if not documents:
            raise ValueError("no training documents")
        self.documents = documents
        self.seed = seed

    @lru_cache(maxsize=4)
    def permutation(self, cycle: int) -> list[int]:
        order = list(self.documents)
        random.Random(self.seed * 7919 + cycle).shuffle(order)
        return order

    def document(self, example: int) -> int:
        cycle, position = divmod(example, len(self.documents))
        return self.permutation(cycle)[position]


def step_batches(order: ExampleOrder, byte_length, steps: int, batch_size: int, seed: int) -> list[list[int]]:
    """``steps`` batches of ``batch_size`` example numbers, grouped by similar document length."""
    n_examples = steps * batch_size
    lengths = [byte_length(order.document(v)) for v in range(n_examples)]
    return length_grouped_batches(lengths, batch_size, seed)
