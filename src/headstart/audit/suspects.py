"""Suspect rows: one entry per data row, with every reason it was flagged, ranked for review."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from headstart.data.classification import LabeledTexts

PRIORITY = {
    "conflicting_label": 0,
    "label_error": 1,
    "leakage": 2,
    "near_duplicate_conflict": 3,
    "near_leakage": 4,
    "duplicate": 5,
    "near_duplicate": 6,
    "truncated": 7,
}
"""Which reason puts a row higher on the review list (lower first); ties by score."""

COLUMNS = ["rank", "location", "text", "given_label", "suggested_label", "score", "kinds", "reason"]


@dataclass
class Suspect:
    location: str
    text: str
    given_label: str
    suggested_label: str = ""
    score: float = 0.0
    kinds: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def sort_key(self) -> tuple[int, float, str]:
        return (min(PRIORITY[k] for k in self.kinds), -self.score, self.location)


class Suspects:
    """Collects flags on rows of the training split (``add``) and of evaluation splits (``add_external``)."""

    def __init__(self, train: LabeledTexts):
        self.train = train
        self.rows: dict[str, Suspect] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, index: int, kind: str, score: float, reason: str, suggested: str = "") -> None:
        self.add_external(self.train, index, kind, score, reason, suggested)

    def add_external(self, split: LabeledTexts, index: int, kind: str, score: float, reason: str, suggested: str = "") -> None:
        location = split.sources[index]
        row = self.rows.get(location)
        if row is None:
            row = self.rows[location] = Suspect(location, split.texts[index], split.labels[index])
        if kind not in row.kinds:
            row.kinds.append(kind)
        row.reasons.append(reason)
        # The score shown is the one of the row's highest-priority reason.
        if PRIORITY[kind] <= min(PRIORITY[k] for k in row.kinds):
            row.score = round(float(score), 4)
        if suggested:
            row.suggested_label = suggested

    def ranked(self) -> list[Suspect]:
        return sorted(self.rows.values(), key=Suspect.sort_key)

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for rank, row in enumerate(self.ranked(), start=1):
            writer.writerow([rank, row.location, row.text, row.given_label, row.suggested_label, f"{row.score:.4f}", ";".join(row.kinds), "; ".join(row.reasons)])
        return buffer.getvalue()

    def write_csv(self, path: Path) -> None:
        from headstart.runs.atomic import atomic_write_text

        atomic_write_text(path, self.to_csv())


def read_suspects(path: Path) -> list[dict[str, str]]:
    """Rows of a suspects.csv written by ``audit-data`` (for reports and cards)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
