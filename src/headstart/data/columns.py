"""Find the text, second-text (sentence pairs) and label columns by common names, or by the user's flags."""

from __future__ import annotations

from headstart.data.readers import Table
from headstart.errors import DataError

TEXT_NAMES = ("text", "sentence", "sentence1", "content", "review", "utterance", "query", "question", "document", "body", "message", "input", "sms", "tweet", "comment", "title")
LABEL_NAMES = ("label", "labels", "category", "class", "intent", "target", "sentiment", "y", "tag", "topic", "gold_label", "quality")
PAIR_NAMES = (
    ("sentence1", "sentence2"),
    ("sentence_1", "sentence_2"),
    ("sentence_a", "sentence_b"),
    ("text_a", "text_b"),
    ("text1", "text2"),
    ("text_1", "text_2"),
    ("premise", "hypothesis"),
    ("question1", "question2"),
    ("#1 string", "#2 string"),
    ("question", "sentence"),
    ("question", "passage"),
    ("query", "passage"),
    ("s1", "s2"),
)
"""(first, second) column names of sentence-pair data: GLUE, SNLI/MNLI, QQP, MRPC, QNLI, BoolQ, LM-BFF json."""


def _match(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    return None


def pick_column(table: Table, wanted: str | None, candidates: tuple[str, ...], role: str, flag: str) -> str:
    """Return the column to use for ``role``; explain what was found when it cannot."""
    if wanted is not None:
        if wanted in table.columns:
            return wanted
        raise DataError(
            f"{table.path}: no column '{wanted}' (given with {flag}). Columns found: {', '.join(table.columns)}."
        )
    found = _match(table.columns, candidates)
    if found is None:
        raise DataError(
            f"{table.path}: could not find the {role} column. Expected one named like {', '.join(candidates[:6])}...; "
            f"columns found: {', '.join(table.columns) or '(none)'}. Name it with {flag} COLUMN."
        )
    return found


def find_pair(columns: list[str], first: str | None = None) -> tuple[str, str] | None:
    """The (first, second) text columns of a sentence-pair table, or None.

    With ``first`` (the user's --text-column) only a pair starting with that column counts.
    """
    lowered = {c.lower(): c for c in columns}
    for a, b in PAIR_NAMES:
        if a in lowered and b in lowered and (first is None or lowered[a] == first):
            return lowered[a], lowered[b]
    return None
