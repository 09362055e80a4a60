"""Find the text and label columns by common names, or by the user's flags."""

from __future__ import annotations

from headstart.data.readers import Table
from headstart.errors import DataError

TEXT_NAMES = ("text", "sentence", "sentence1", "content", "review", "utterance", "query", "question", "document", "body", "message", "input", "sms", "tweet", "comment", "title")
LABEL_NAMES = ("label", "labels", "category", "class", "intent", "target", "sentiment", "y", "tag", "topic", "gold_label")


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
