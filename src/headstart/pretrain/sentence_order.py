"""Sentence-order prediction (ALBERT, Lan et al. 2019) alongside whole-word masking.

Each document is cut into two halves at a word boundary; half of the time the
halves are swapped, and the model predicts whether they are in order (label 0)
or swapped (label 1). Unlike next-sentence prediction, both halves always come
from the same document, so topic gives nothing away.
"""

from __future__ import annotations

import random
from typing import Callable

import torch

from headstart.pretrain.masking import IGNORE_INDEX, MaskingSpec, VocabInfo, mask_whole_words, pad_rows


def split_in_two(text: str, rng: random.Random) -> tuple[str, str] | None:
    words = text.split()
    if len(words) < 4:
        return None
    cut = rng.randint(len(words) // 3, max(len(words) // 3, 2 * len(words) // 3))
    return " ".join(words[:cut]), " ".join(words[cut:])


class SentenceOrderCollator:
    """Masked-LM batch of two-segment examples with a ``label_name`` for their order."""

    def __init__(self, texts_for: Callable[[list[int]], list[str]], tokenizer, max_length: int, seed: int, label_name: str, spec: MaskingSpec = MaskingSpec()):
        self.texts_for = texts_for
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.seed = seed
        self.label_name = label_name
        self.spec = spec
        self.vocab = VocabInfo.from_tokenizer(tokenizer)

    def __call__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        firsts, seconds, orders, rngs = [], [], [], []
        for index, text in zip(indices, self.texts_for(indices)):
            rng = random.Random(self.seed * 1_000_003 + index)
            halves = split_in_two(text, rng) or (text, text)
            swapped = rng.random() < 0.5
            firsts.append(halves[1] if swapped else halves[0])
            seconds.append(halves[0] if swapped else halves[1])
            orders.append(int(swapped))
            rngs.append(rng)
        encoded = self.tokenizer(firsts, seconds, truncation="longest_first", max_length=self.max_length, return_token_type_ids=True)
        ids, labels = [], []
        for row, rng in enumerate(rngs):
            masked, row_labels = mask_whole_words(encoded["input_ids"][row], encoded.word_ids(row), self.vocab, self.spec, rng)
            ids.append(masked)
            labels.append(row_labels)
        return {
            "input_ids": pad_rows(ids, self.vocab.pad_id),
            "attention_mask": pad_rows([[1] * len(r) for r in ids], 0),
            "token_type_ids": pad_rows(encoded["token_type_ids"], 0),
            "labels": pad_rows(labels, IGNORE_INDEX),
            self.label_name: torch.tensor(orders, dtype=torch.long),
        }
