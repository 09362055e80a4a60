"""Which task a data file is for, when the user does not say (``--task auto``).

Decided from the file's shape only, and only where that is unambiguous:
token-per-line column files (CoNLL) or JSONL with token/tag lists or entity spans
are token classification; a table with an input and a target text column is
text-to-text; everything else is (single-text or pair) classification.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

TASKS = ("classification", "tokens", "text2text")
TOKEN_SUFFIXES = {".conll", ".conllu", ".iob", ".iob1", ".iob2", ".bio", ".bioes"}
TARGET_NAMES = ("summary", "target", "output", "completion", "response", "answer_text", "highlights")
_TAG = re.compile(r"^(O|[BIESLU]-\S+|[BIESLU]_\S+)$")


def _head_lines(path: Path, count: int = 40, encoding: str = "utf-8") -> list[str]:
    lines: list[str] = []
    with open(path, encoding=encoding, errors="replace") as handle:
        for line in handle:
            if line.strip() and not line.startswith("-DOCSTART-"):
                lines.append(line.rstrip("\n"))
            if len(lines) >= count:
                break
    return lines


def _looks_like_columns(lines: list[str]) -> bool:
    """Token-per-line files: whitespace columns whose last field is an IOB/BIOES tag."""
    if not lines:
        return False
    tagged = sum(1 for line in lines if len(line.split()) >= 2 and _TAG.match(line.split()[-1]))
    return tagged >= 0.9 * len(lines)


def detect_task(path: str | Path, encoding: str = "utf-8") -> str:
    """One of :data:`TASKS` for the file at ``path`` (missing or unreadable files: 'classification',
    whose loader then reports the problem precisely)."""
    path = Path(path)
    if not path.is_file():
        return "classification"
    suffix = path.suffix.lower()
    if suffix in TOKEN_SUFFIXES:
        return "tokens"
    try:
        lines = _head_lines(path, encoding=encoding)
    except OSError:
        return "classification"
    if suffix in {".jsonl", ".json", ".ndjson"}:
        try:
            first = json.loads(lines[0]) if lines else {}
        except json.JSONDecodeError:
            return "classification"
        keys = {str(k).lower() for k in first} if isinstance(first, dict) else set()
        if "tokens" in keys and keys & {"tags", "ner_tags", "labels"} or keys & {"entities", "spans"}:
            return "tokens"
        return "text2text" if keys & set(TARGET_NAMES) else "classification"
    # CoNLL files come as .txt, .tsv or named by split (eng.train, emerging.test.annotated).
    if suffix not in {".csv", ".parquet"} and _looks_like_columns(lines):
        return "tokens"
    if suffix in {".csv", ".tsv"} and lines:
        header = [c.strip().strip('"').lower() for c in re.split(r"[,\t]", lines[0])]
        if set(header) & set(TARGET_NAMES):
            return "text2text"
    return "classification"
