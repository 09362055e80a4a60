"""Sentence pairs (NLI, paraphrase, QA entailment): which columns hold the two texts.

A pair example is two texts and one label; the classification path carries the
second text beside the first (``LabeledTexts.pairs``) and the tokenizer encodes
both as one pair input. This module only decides the columns and keys examples.
"""

from __future__ import annotations

from typing import Literal

from headstart.data.columns import TEXT_NAMES, find_pair, pick_column
from headstart.data.readers import Table
from headstart.errors import DataError

PairMode = Literal["auto", "required", "off"]
NO_GOLD_LABELS = ("-",)
"""Labels meaning 'annotators did not agree' (SNLI/MNLI gold_label '-'): such rows are dropped with a warning."""


def resolve_columns(table: Table, text_column: str | None, pair_column: str | None, mode: PairMode) -> tuple[str | None, str | None]:
    """(first, second) text columns for a pair table, or (text_column, None) for single texts.

    ``mode`` 'auto' uses a detected pair (sentence1/sentence2, premise/hypothesis, ...);
    'required' (``--task pairs``) fails when there is none; 'off' never pairs.
    The first column stays None when it is left to the single-text finder.

    Raises:
        DataError: a named column is missing, or a required pair was not found.
    """
    if mode == "off":
        if pair_column is not None:
            raise DataError(f"{table.path}: --text-pair-column {pair_column} was given but --task classification reads one text per example; use --task pairs (or auto).")
        detected = find_pair(table.columns)
        if text_column is None and detected is not None:
            raise DataError(
                f"{table.path}: looks like sentence pairs (columns '{detected[0]}' + '{detected[1]}') but --task classification reads one text per example. "
                "Use --task pairs (or auto) to classify the pairs, or name the one text column with --text-column."
            )
        return text_column, None
    if pair_column is not None:
        if pair_column not in table.columns:
            raise DataError(f"{table.path}: no column '{pair_column}' (given with --text-pair-column). Columns found: {', '.join(table.columns)}.")
        if text_column is None:
            detected = find_pair(table.columns)
            text_column = detected[0] if detected and detected[1] == pair_column else None
        return text_column, pair_column
    detected = find_pair(table.columns, text_column)
    if detected is not None:
        return detected
    if mode == "required":
        raise DataError(
            f"{table.path}: --task pairs needs two text columns, but no known pair was found "
            f"(looked for sentence1/sentence2, premise/hypothesis, question1/question2, text_a/text_b, '#1 String'/'#2 String', question/sentence). "
            f"Columns found: {', '.join(table.columns)}. Name them with --text-column FIRST --text-pair-column SECOND."
        )
    return text_column, None


def example_key(text: str, pair: str | None) -> str:
    """What makes two examples 'the same' for duplicate and leakage checks: both texts, case-folded."""
    key = text.strip().lower()
    return key if pair is None else f"{key}\t{pair.strip().lower()}"


def recorded_columns(record: dict) -> tuple[str | None, str | None]:
    """(text column, second-text column) a run was trained on; the second is None for single-text runs."""
    data = record.get("data") or {}
    return data.get("text_column"), data.get("text_pair_column")


def eval_columns(table: Table, record: dict, text_column: str | None, pair_column: str | None) -> tuple[str, str]:
    """The two text columns to read from a file for a pair run: the user's flags, else the
    columns the run was trained on when the file has them, else the detected pair."""
    trained_text, trained_pair = recorded_columns(record)
    if pair_column is None and trained_pair in table.columns and (text_column or trained_text) in table.columns:
        first, second = text_column or trained_text, trained_pair
    else:
        first, second = resolve_columns(table, text_column, pair_column or (trained_pair if trained_pair in table.columns else None), "required")
    return pick_column(table, first, TEXT_NAMES, "text", "--text-column"), second
