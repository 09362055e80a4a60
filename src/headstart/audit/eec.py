"""Equity Evaluation Corpus (Kiritchenko & Mohammad 2018): per-gender and per-race scores of a run.

The EEC has 8,640 template sentences that differ only in the person named (gender x
race names, or gendered noun phrases). Reported: each group's mean score with a
bootstrap 95% interval, and flip rates: over every pair of sentences that share
template and emotion word (and race, for gender pairs; gender, for race pairs) but
differ in the compared attribute, the share whose predicted labels differ.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from headstart.audit.run_predictions import probabilities
from headstart.audit.stats import format_ci, mean_ci
from headstart.data.readers import read_table
from headstart.errors import DataError
from headstart.runs.load import LoadedRun

COLUMNS = ("Sentence", "Template", "Person", "Gender", "Race", "Emotion word")
RACES = ("African-American", "European")


def read_eec(path: str | Path) -> list[dict[str, str]]:
    table = read_table(path)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{path}: not the Equity Evaluation Corpus CSV; missing column(s) {', '.join(missing)} (found {', '.join(table.columns)}).")
    return [{c: str(row.get(c) or "").strip() for c in COLUMNS} for row in table.rows]


def pair_flip_rate(rows: list[dict[str, str]], predicted: np.ndarray, attribute: str, values: tuple[str, str], cell: tuple[str, ...], seed: int) -> dict[str, float]:
    """Share of cross-group sentence pairs within each cell whose predictions differ (bootstrap over cells)."""
    cells: dict[tuple, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, row in enumerate(rows):
        if row[attribute] in values:
            cells[tuple(row[c] for c in cell)][row[attribute]].append(i)
    per_cell = []
    for members in cells.values():
        a, b = members.get(values[0], []), members.get(values[1], [])
        if a and b:
            pa, pb = predicted[a], predicted[b]
            per_cell.append(float((pa[:, None] != pb[None, :]).mean()))
    stat = mean_ci(per_cell, seed)
    stat["cells"] = stat.pop("n")
    return stat


def audit_eec(run: LoadedRun, path: str | Path, column: int | None, seed: int = 0, log: Callable[[str], None] = print) -> dict[str, Any]:
    """EEC scores and flip rates of ``run``; ``column`` is the scored class (None: the class predicted most often)."""
    rows = read_eec(path)
    log(f"scoring {len(rows)} EEC sentences ...")
    probs = probabilities(run, [r["Sentence"] for r in rows])
    predicted = probs.argmax(1)
    if column is None:
        column = int(np.bincount(predicted, minlength=probs.shape[1]).argmax())
    scores = probs[:, column]
    gender = {g: mean_ci(scores[[i for i, r in enumerate(rows) if r["Gender"] == g]], seed) for g in ("female", "male")}
    race = {r_: mean_ci(scores[[i for i, r in enumerate(rows) if r["Race"] == r_]], seed) for r_ in RACES}
    result = {
        "file": str(path),
        "sentences": len(rows),
        "score": f"P({run.label_names[column]})",
        "gender": {"mean_score": gender, "flip_rate": pair_flip_rate(rows, predicted, "Gender", ("female", "male"), ("Template", "Emotion word", "Race"), seed)},
        "race": {"mean_score": race, "flip_rate": pair_flip_rate(rows, predicted, "Race", RACES, ("Template", "Emotion word", "Gender"), seed)},
    }
    result["summary"] = [
        f"EEC ({len(rows)} sentences), score {result['score']}:",
        "  gender: " + "; ".join(f"{g} {format_ci(s)}" for g, s in gender.items()) + f"; flip rate {format_ci(result['gender']['flip_rate'])}",
        "  race:   " + "; ".join(f"{r} {format_ci(s)}" for r, s in race.items()) + f"; flip rate {format_ci(result['race']['flip_rate'])}",
    ]
    return result
