"""Input → target text pairs for text-to-text generation: load, validate, split.

Reuses the readers, column finder and issue log of the classification path; an
empty input or target is an error naming the file and line (all of them at once),
or a warning with ``--skip-bad-rows``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from headstart.data.classification import DataSpec
from headstart.data.columns import pick_column
from headstart.data.detect import TARGET_NAMES
from headstart.data.issues import IssueLog
from headstart.data.readers import Table, read_table

INPUT_NAMES = ("input", "source", "document", "dialogue", "article", "text", "prompt", "question", "context", "content", "sentence")
TARGET_CANDIDATES = (*TARGET_NAMES, "summary1", "reference", "label_text")
"""Target column names, in order of preference ('summary1': DialogSum's test file has three references)."""


@dataclass
class TextPairs:
    """One split: input texts, their target texts and where each came from."""

    inputs: list[str]
    targets: list[str]
    sources: list[str]
    """'file:line' of each example."""
    name: str = "train"

    def __len__(self) -> int:
        return len(self.inputs)

    def subset(self, indices: list[int], name: str) -> "TextPairs":
        return TextPairs([self.inputs[i] for i in indices], [self.targets[i] for i in indices], [self.sources[i] for i in indices], name)


@dataclass
class Text2TextData:
    train: TextPairs
    validation: TextPairs
    test: TextPairs | None
    input_column: str
    target_column: str
    issues: IssueLog = field(default_factory=IssueLog)
    validation_from_train: bool = False

    def splits(self) -> dict[str, TextPairs]:
        out = {"train": self.train, "validation": self.validation}
        if self.test is not None:
            out["test"] = self.test
        return out


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value)
    return text if text.strip() else None


def columns_of(table: Table, input_column: str | None, target_column: str | None) -> tuple[str, str]:
    """The (input, target) columns of ``table``: the flags, or detected by common names."""
    target = pick_column(table, target_column, TARGET_CANDIDATES, "target", "--target-column")
    others = Table(table.path, [c for c in table.columns if c != target], table.rows, table.lines, table.line_kind)
    return pick_column(others, input_column, INPUT_NAMES, "input", "--text-column"), target


def extract_pairs(table: Table, input_column: str | None, target_column: str | None, log: IssueLog, name: str, skip_bad_rows: bool = False) -> tuple[TextPairs, str, str]:
    """Pairs of one file; empty inputs/targets are logged with their file:line."""
    input_col, target_col = columns_of(table, input_column, target_column)
    inputs, targets, sources = [], [], []
    empty_inputs, empty_targets = [], []
    for index, row in enumerate(table.rows):
        source, target = _text(row.get(input_col)), _text(row.get(target_col))
        where = table.where(index)
        if source is None:
            empty_inputs.append(where)
        if target is None:
            empty_targets.append(where)
        if source is None or target is None:
            continue
        inputs.append(source)
        targets.append(target.strip())
        sources.append(where)
    report = log.warn if skip_bad_rows else log.error
    todo = "they were dropped (--skip-bad-rows)" if skip_bad_rows else "fill them in, delete those rows, or pass --skip-bad-rows to drop them"
    if empty_inputs:
        report(f"{table.path}: {len(empty_inputs)} row(s) with an empty input in column '{input_col}'; {todo}.", empty_inputs)
    if empty_targets:
        report(f"{table.path}: {len(empty_targets)} row(s) with an empty target in column '{target_col}'; a model cannot learn to produce nothing. {todo[0].upper() + todo[1:]}.", empty_targets)
    return TextPairs(inputs, targets, sources, name), input_col, target_col


def random_split(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(kept, held-out) indices; at least one held out when there are two or more examples."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    held = max(1, round(n * fraction)) if n > 1 else 0
    return sorted(order[held:]), sorted(order[:held])


def load_text2text_data(spec: DataSpec, target_column: str | None = None) -> Text2TextData:
    """Read, validate and split text-to-text data, reporting every problem at once.

    ``spec.text_column`` names the input column; ``target_column`` the target.

    Raises:
        DataError: for unreadable files or missing columns.
        DataValidationError: listing every empty input/target with its file:line.
    """
    log = IssueLog()
    train, input_col, target_col = extract_pairs(read_table(spec.train, spec.encoding), spec.text_column, target_column, log, "train", spec.skip_bad_rows)
    validation = None
    if spec.validation is not None:
        validation, _, _ = extract_pairs(read_table(spec.validation, spec.encoding), spec.text_column, target_column, log, "validation", spec.skip_bad_rows)
    test = None
    if spec.test is not None:
        test, _, _ = extract_pairs(read_table(spec.test, spec.encoding), spec.text_column, target_column, log, "test", spec.skip_bad_rows)
    from_train = validation is None
    if from_train:
        kept, held = random_split(len(train), spec.validation_fraction, spec.split_seed)
        train, validation = train.subset(kept, "train"), train.subset(held, "validation")
        if not len(validation) and not log.errors:
            log.error(f"{spec.train}: too few examples ({len(train)}) to hold out a validation split; give a --validation file or more data.")
    train_inputs = {text.strip().lower() for text in train.inputs}
    for split, path in ((validation, spec.validation or spec.train), (test, spec.test)):
        if split is None:
            continue
        shared = [src for text, src in zip(split.inputs, split.sources) if text.strip().lower() in train_inputs]
        if shared:
            log.warn(f"{path}: {len(shared)} of {len(split)} {split.name} input(s) also appear in the training data (leakage); {split.name} scores will be optimistic.", shared)
    log.raise_if_errors()
    return Text2TextData(train, validation, test, input_col, target_col, log, from_train)
