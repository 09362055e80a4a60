"""The cheap part of ``diagnose``, run by ``train`` before fine-tuning: tokenizer fit only, no forward passes.

It reads the training texts through the base's tokenizer (a second or two for
thousands of texts) and warns when the vocabulary fits them badly, pointing to
``headstart diagnose`` / ``adapt`` / ``pretrain``. Never an error: fine-tuning
may still work, the warning only says where to look if it does not.
"""

from __future__ import annotations

import random

from headstart.diagnose.vocabulary import FRAGMENTED_PIECES, vocabulary_fit

MAX_TEXTS = 2000
"""Training texts sampled (seeded) for the check."""
FRAGMENTED_WARNING = 0.05
"""Share of words split into 3+ pieces above which ``train`` warns (diagnose's 'adapt' threshold)."""
UNKNOWN_WARNING = 0.01
"""Share of unknown tokens above which ``train`` warns."""


def quick_diagnosis(tokenizer, texts: list[str], max_length: int = 128, seed: int = 13) -> dict | None:
    """Fragmentation and unknown-token rate of (a sample of) ``texts``, with a warning when they are high.

    Returns None when the tokenizer cannot tell word boundaries (a slow tokenizer).
    The dict is what a run record keeps under ``diagnosis``: ``fragmented_share``,
    ``unknown_rate``, ``pieces_per_word``, ``texts``, ``examples``, ``warning``
    (a sentence, or None when the vocabulary fits).
    """
    if not getattr(tokenizer, "is_fast", False) or not texts:
        return None
    sample = texts if len(texts) <= MAX_TEXTS else random.Random(seed).sample(texts, MAX_TEXTS)
    fit = vocabulary_fit(tokenizer, sample, max_length, n_examples=5)
    problems = []
    if fit.fragmented_share >= FRAGMENTED_WARNING:
        problems.append(f"{fit.fragmented_share:.0%} of words are split into {FRAGMENTED_PIECES}+ sub-word pieces (e.g. {', '.join(fit.examples[:3])})")
    if fit.unknown_rate >= UNKNOWN_WARNING:
        problems.append(f"{fit.unknown_rate:.1%} of tokens are unknown to the base's vocabulary")
    warning = None
    if problems:
        warning = ("the base model's vocabulary fits this text poorly: " + "; ".join(problems) + ". Fine-tuning may still work; if the "
                   "scores disappoint, run 'headstart diagnose BASE DATA' and consider 'headstart adapt BASE CORPUS' on unlabeled in-domain text.")
    return {
        "check": "vocabulary (train-time, no model forward passes)",
        "texts": len(sample),
        "fragmented_share": round(fit.fragmented_share, 4),
        "unknown_rate": round(fit.unknown_rate, 4),
        "pieces_per_word": round(fit.pieces_per_word, 3),
        "examples": fit.examples,
        "warning": warning,
    }
