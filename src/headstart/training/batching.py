"""Dynamic padding and length-grouped batches.

Short texts batched with long ones waste most of a CPU's time on padding.
Batches are drawn from "mega-batches" sorted by length, then shuffled, so each
batch holds texts of similar length while the order stays random (the idea of
Hugging Face's LengthGroupedSampler, without its per-step overhead).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass
class Encoded:
    """Tokenized examples: token ids per example and optional integer labels."""

    input_ids: list[list[int]]
    labels: list[int] | list[list[float]] | None = None
    token_type_ids: list[list[int]] | None = None

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.input_ids]


def length_grouped_batches(lengths: list[int], batch_size: int, seed: int, group_factor: int = 50) -> list[list[int]]:
    """Shuffled batches of indices, each holding examples of similar length."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    mega = batch_size * group_factor
    batches: list[list[int]] = []
    for start in range(0, len(order), mega):
        chunk = sorted(order[start : start + mega], key=lambda i: lengths[i], reverse=True)
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def sorted_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Batches for inference: longest first, so memory peaks early and padding is minimal."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class Collator:
    """Pads a batch of encoded examples to its own longest member.

    ``augment``, when given, rewrites each example's token ids every time it enters a batch (training/augment.py);
    single texts only, since segment ids would no longer line up.
    """

    def __init__(self, data: Encoded, pad_token_id: int, augment: Callable[[list[int]], list[int]] | None = None):
        if augment is not None and data.token_type_ids is not None:
            raise ValueError("token augmentation is for single texts; these examples carry segment ids (sentence pairs)")
        self.data = data
        self.pad_token_id = pad_token_id
        self.augment = augment

    def __call__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        rows = [self.data.input_ids[i] for i in indices]
        if self.augment is not None:
            rows = [self.augment(row) for row in rows]
        width = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for n, row in enumerate(rows):
            input_ids[n, : len(row)] = torch.tensor(row, dtype=torch.long)
            attention[n, : len(row)] = 1
        batch = {"input_ids": input_ids, "attention_mask": attention}
        if self.data.token_type_ids is not None:
            types = torch.zeros((len(rows), width), dtype=torch.long)
            for n, i in enumerate(indices):
                row = self.data.token_type_ids[i]
                types[n, : len(row)] = torch.tensor(row, dtype=torch.long)
            batch["token_type_ids"] = types
        if self.data.labels is not None:
            labels = [self.data.labels[i] for i in indices]
            dtype = torch.float if labels and isinstance(labels[0], list) else torch.long
            batch["labels"] = torch.tensor(labels, dtype=dtype)
        return batch
