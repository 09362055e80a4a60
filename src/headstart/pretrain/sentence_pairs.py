"""Sentence-pair objectives beside whole-word masking: next-sentence (BERT) and sentence-order (ALBERT) prediction.

Each document is cut in two at a word boundary (a corpus line is often one
sentence, so halves stand in for sentences). Next-sentence prediction (Devlin
et al. 2019) keeps the true second half half of the time (label 0) and
otherwise pairs the first half with the second half of a random other document
(label 1). Sentence-order prediction (Lan et al. 2019) always uses both halves
of the same document and swaps them half of the time (label 1): topic gives
nothing away, so it teaches coherence rather than topic matching.
"""

from __future__ import annotations

import random
from typing import Callable, Literal

import torch

from headstart.pretrain.masking import IGNORE_INDEX, MaskingSpec, VocabInfo, mask_whole_words, pad_rows

PairObjective = Literal["sop", "nsp"]


def split_in_two(text: str, rng: random.Random) -> tuple[str, str] | None:
    words = text.split()
    if len(words) < 4:
        return None
    cut = rng.randint(len(words) // 3, max(len(words) // 3, 2 * len(words) // 3))
    return " ".join(words[:cut]), " ".join(words[cut:])


def second_half(text: str, rng: random.Random) -> str:
    halves = split_in_two(text, rng)
    return halves[1] if halves else text


class SentencePairCollator:
    """Masked-LM batch of two-segment examples with a ``label_name`` for the pair's relation.

    Args:
        texts_for: Maps example numbers to their texts.
        objective: 'sop' (label 1 = swapped halves) or 'nsp' (label 1 = second half from another document).
        n_examples: Example numbers a random partner is drawn from (NSP); partners are ``texts_for`` of those numbers.
    """

    def __init__(self, texts_for: Callable[[list[int]], list[str]], tokenizer, max_length: int, seed: int, label_name: str,
                 spec: MaskingSpec = MaskingSpec(), objective: PairObjective = "sop", n_examples: int = 0):
        if objective == "nsp" and n_examples < 2:
            raise ValueError("next-sentence prediction needs at least two documents to draw random partners from")
        self.texts_for = texts_for
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.seed = seed
        self.label_name = label_name
        self.spec = spec
        self.objective = objective
        self.n_examples = n_examples
        self.vocab = VocabInfo.from_tokenizer(tokenizer)

    def _pair(self, index: int, text: str, rng: random.Random) -> tuple[str, str, int]:
        halves = split_in_two(text, rng) or (text, text)
        flip = rng.random() < 0.5
        if self.objective == "sop":
            return (halves[1], halves[0], 1) if flip else (halves[0], halves[1], 0)
        if not flip:
            return halves[0], halves[1], 0
        cycle, position = divmod(index, self.n_examples)
        partner = rng.randrange(self.n_examples - 1)
        partner += partner >= position  # another position of the same pass over the corpus: another document
        other = self.texts_for([cycle * self.n_examples + partner])[0]
        return halves[0], second_half(other, rng), 1

    def __call__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        firsts, seconds, labels_pair, rngs = [], [], [], []
        for index, text in zip(indices, self.texts_for(indices)):
            rng = random.Random(self.seed * 1_000_003 + index)
            first, second, label = self._pair(index, text, rng)
            firsts.append(first)
            seconds.append(second)
            labels_pair.append(label)
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
            self.label_name: torch.tensor(labels_pair, dtype=torch.long),
        }
