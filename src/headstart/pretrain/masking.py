"""Whole-word masking for masked-LM training (BERT's 15%, 80/10/10 recipe).

Whole words are chosen until about 15% of a text's tokens are selected; each
selected token becomes [MASK] 80% of the time, a random token 10%, and stays
10%. Masks are drawn from a generator seeded by (seed, example number), so a
batch is masked the same way whether training ran straight through or resumed
from a checkpoint.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

import torch

IGNORE_INDEX = -100


@dataclass(frozen=True)
class MaskingSpec:
    """How tokens are chosen and replaced."""

    probability: float = 0.15
    """Share of tokens selected for prediction (whole words at a time)."""
    mask_share: float = 0.8
    """Of the selected tokens, the share replaced by [MASK]."""
    random_share: float = 0.1
    """Of the selected tokens, the share replaced by a random token (the rest stay as they are)."""


@dataclass(frozen=True)
class VocabInfo:
    """Token ids the masker needs."""

    mask_id: int
    pad_id: int
    vocab_size: int
    special_ids: frozenset[int]

    @classmethod
    def from_tokenizer(cls, tokenizer) -> "VocabInfo":
        if tokenizer.mask_token_id is None:
            raise ValueError("the tokenizer has no mask token")
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        return cls(int(tokenizer.mask_token_id), int(pad), len(tokenizer), frozenset(int(i) for i in tokenizer.all_special_ids))


def word_groups(word_ids: list[int | None]) -> list[list[int]]:
    """Token positions grouped by the word they belong to (special tokens excluded)."""
    groups: list[list[int]] = []
    previous: int | None = None
    for position, word in enumerate(word_ids):
        if word is None:
            previous = None
            continue
        if word == previous and groups:
            groups[-1].append(position)
        else:
            groups.append([position])
        previous = word
    return groups


def mask_whole_words(input_ids: list[int], word_ids: list[int | None], vocab: VocabInfo, spec: MaskingSpec, rng: random.Random) -> tuple[list[int], list[int]]:
    """(masked ids, labels) of one example; labels are -100 except at selected positions."""
    groups = word_groups(word_ids)
    n_tokens = sum(len(g) for g in groups)
    labels = [IGNORE_INDEX] * len(input_ids)
    if not n_tokens:
        return list(input_ids), labels
    target = max(1, round(n_tokens * spec.probability))
    order = list(range(len(groups)))
    rng.shuffle(order)
    chosen: list[int] = []
    for g in order:
        if len(chosen) >= target:
            break
        if len(chosen) + len(groups[g]) > target and chosen:
            continue  # a long word would overshoot the budget; try shorter ones
        chosen.extend(groups[g])
    masked = list(input_ids)
    for position in chosen:
        labels[position] = input_ids[position]
        draw = rng.random()
        if draw < spec.mask_share:
            masked[position] = vocab.mask_id
        elif draw < spec.mask_share + spec.random_share:
            masked[position] = rng.randrange(vocab.vocab_size)
    return masked, labels


def pad_rows(rows: list[list[int]], value: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    out = torch.full((len(rows), width), value, dtype=torch.long)
    for n, row in enumerate(rows):
        out[n, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out


class WholeWordMaskingCollator:
    """Turns example numbers into a masked-LM batch: read texts, tokenize, mask, pad.

    Args:
        texts_for: Maps example numbers to their texts (e.g. read from disk).
        tokenizer: A fast tokenizer (``word_ids`` is needed for whole words).
        max_length: Tokens per example; longer texts are truncated.
        seed: Masks of example ``i`` come from ``Random(seed, i)``.
    """

    def __init__(self, texts_for: Callable[[list[int]], list[str]], tokenizer, max_length: int, seed: int, spec: MaskingSpec = MaskingSpec()):
        self.texts_for = texts_for
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.seed = seed
        self.spec = spec
        self.vocab = VocabInfo.from_tokenizer(tokenizer)

    def __call__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        texts = self.texts_for(indices)
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length)
        ids, labels = [], []
        for row, index in enumerate(indices):
            rng = random.Random(self.seed * 1_000_003 + index)
            masked, row_labels = mask_whole_words(encoded["input_ids"][row], encoded.word_ids(row), self.vocab, self.spec, rng)
            ids.append(masked)
            labels.append(row_labels)
        input_ids = pad_rows(ids, self.vocab.pad_id)
        attention = pad_rows([[1] * len(r) for r in ids], 0)
        return {"input_ids": input_ids, "attention_mask": attention, "labels": pad_rows(labels, IGNORE_INDEX)}
