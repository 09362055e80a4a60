"""How well a base model's tokenizer fits a text: word fragmentation and unknown tokens.

A word the tokenizer cuts into many pieces (``acetaminophen`` -> ``ace ##tam ##ino ##phe ##n``)
was rare or absent in pre-training; a high share of such words, or of [UNK]
tokens, says the model has seen little text like this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FRAGMENTED_PIECES = 3
"""A word split into at least this many sub-words counts as fragmented."""


@dataclass
class VocabularyFit:
    words: int
    tokens: int
    fragmented_share: float
    """Share of words split into ``FRAGMENTED_PIECES`` or more sub-words."""
    pieces_per_word: float
    unknown_rate: float
    """Share of tokens that are the unknown token."""
    examples: list[str] = field(default_factory=list)
    """The most frequent fragmented words, as the tokenizer splits them."""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def vocabulary_fit(tokenizer, texts: list[str], max_length: int = 256, n_examples: int = 8) -> VocabularyFit:
    """Fragmentation and unknown-token rate of ``texts`` under ``tokenizer`` (a fast tokenizer: needs word ids)."""
    unk = tokenizer.unk_token_id
    words = tokens = fragmented = pieces_total = unknown = 0
    counts: dict[str, int] = {}
    encoded = tokenizer(texts, truncation=True, max_length=max_length, add_special_tokens=False)
    for row, ids in enumerate(encoded["input_ids"]):
        word_ids = encoded.word_ids(row)
        tokens += len(ids)
        unknown += sum(1 for token in ids if unk is not None and token == unk)
        pieces: dict[int, list[int]] = {}
        for position, word in enumerate(word_ids):
            if word is not None:
                pieces.setdefault(word, []).append(position)
        for positions in pieces.values():
            words += 1
            pieces_total += len(positions)
            if len(positions) >= FRAGMENTED_PIECES:
                fragmented += 1
                shown = " ".join(tokenizer.convert_ids_to_tokens([ids[p] for p in positions]))
                counts[shown] = counts.get(shown, 0) + 1
    top = sorted(counts, key=lambda k: (-counts[k], k))[:n_examples]
    return VocabularyFit(
        words=words,
        tokens=tokens,
        fragmented_share=fragmented / words if words else 0.0,
        pieces_per_word=pieces_total / words if words else 0.0,
        unknown_rate=unknown / tokens if tokens else 0.0,
        examples=top,
    )
