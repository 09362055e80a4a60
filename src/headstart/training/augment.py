"""Word-piece deletion: a text augmentation for the contrastive stage.

Each time a long labeled text enters a contrastive batch, every one of its word pieces is left out with a small
probability, so every pass sees a slightly different copy of it. With a few examples per class the pair loss
otherwise pulls each class onto its exact training texts; deleted copies make the encoder group what the texts
share rather than the texts themselves (EDA's random deletion, Wei and Zou 2019, applied to word pieces).

Only long texts are altered, and only in runs whose texts are mostly long and whose classes have few examples: a
question of ten word pieces that loses its "who" or "when" changes class, and a short review that loses its "not"
changes sentiment, while a news item of forty pieces loses little; with 64 texts a class, the class is no longer a
handful of texts to collapse onto. The head is still fitted on the unaltered texts, and inference never deletes anything.
Measured in BENCHMARKS.md ("Few labels", eighteenth session): on AG News at 8 per class (median 42 pieces), ten tuning
seeds, rates 0 / 0.15 / 0.3 / 0.5 give 0.8307 / 0.8361 / 0.8380 / 0.8384; with every text altered at 0.15, TREC (median
11) lost 4.6 points and SST-2 (median 14) 1.0.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable

DELETION_RATE = 0.3
"""Default probability that a word piece of a long text is left out (``--contrastive-token-deletion``)."""
MIN_PIECES = 24
"""Texts with fewer word pieces than this (special tokens not counted) are never altered, and a run whose median text
is shorter uses no deletion at all."""
MAX_PER_CLASS = 16
"""Runs whose median class has more labeled examples than this use no deletion (AG News, rate 0.3: +0.73 points at 8
per class, +0.37 at 16, −0.10 at 32, −0.50 at 64)."""


class TokenDeletion:
    """Leaves out each non-special token of a long enough text with probability ``rate``; callable on token ids.

    Args:
        rate: probability that one word piece is left out.
        special_ids: token ids never removed ([CLS], [SEP], padding, ...).
        seed: seeds the random choices, so a run is reproducible.
        min_pieces: texts with fewer removable tokens stay as they are (default MIN_PIECES).
    """

    def __init__(self, rate: float, special_ids: Iterable[int], seed: int, min_pieces: int | None = None):
        if not 0 <= rate < 1:
            raise ValueError(f"deletion rate must be in [0, 1); got {rate}")
        self.rate = rate
        self.special_ids = frozenset(int(i) for i in special_ids)
        self.min_pieces = MIN_PIECES if min_pieces is None else min_pieces
        self.rng = random.Random(seed)

    def pieces(self, ids: list[int]) -> int:
        """Word pieces of a text that deletion may remove (special tokens not counted)."""
        return sum(1 for token in ids if token not in self.special_ids)

    def applies_to(self, ids: list[int]) -> bool:
        return self.rate > 0 and self.pieces(ids) >= self.min_pieces

    def __call__(self, ids: list[int]) -> list[int]:
        return self.delete(ids) if self.applies_to(ids) else ids

    def delete(self, ids: list[int]) -> list[int]:
        """``ids`` with each non-special token left out at ``rate``, whatever the text's length (never emptied)."""
        kept = [token for token in ids if token in self.special_ids or self.rng.random() >= self.rate]
        return kept if self.pieces(kept) else ids


def deletion_for(input_ids: list[list[int]], labels: list[int], rate: float, special_ids: Iterable[int], seed: int) -> tuple[TokenDeletion | None, str]:
    """The deletion a contrastive run on these encoded, labeled texts uses (None: off), and a line saying why."""
    if not rate:
        return None, "word-piece deletion off (--contrastive-token-deletion 0)"
    counts = Counter(labels)
    per_class = sorted(counts.values())[len(counts) // 2] if counts else 0
    if per_class > MAX_PER_CLASS:
        return None, f"word-piece deletion off: the median class has {per_class} labeled examples, more than {MAX_PER_CLASS}"
    deletion = TokenDeletion(rate, special_ids, seed)
    pieces = sorted(deletion.pieces(ids) for ids in input_ids)
    median = pieces[len(pieces) // 2] if pieces else 0
    if median < deletion.min_pieces:
        return None, f"word-piece deletion off: the median training text has {median} word pieces, fewer than {deletion.min_pieces}"
    altered = sum(1 for n in pieces if n >= deletion.min_pieces)
    return deletion, f"word-piece deletion on: {altered} of {len(pieces)} texts have {deletion.min_pieces}+ word pieces and lose each with probability {rate} whenever they enter a batch (--contrastive-token-deletion)"
