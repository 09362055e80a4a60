"""Labeled texts for classification: load, validate, split.

This is the one data entry point for the classification path; later tasks
(pairs, tokens, text-to-text) add their own loaders beside it and reuse the
readers, column finder, issue log and splitter.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headstart.data.columns import LABEL_NAMES, TEXT_NAMES, pick_column
from headstart.data.issues import IssueLog
from headstart.data.pairs import NO_GOLD_LABELS, PairMode, example_key, resolve_columns
from headstart.data.readers import Table, read_table
from headstart.data.split import stratified_split
from headstart.data.unlabeled import UnlabeledTexts, load_unlabeled
from headstart.errors import DataError


@dataclass
class LabeledTexts:
    """One split: texts, their labels (as strings) and where each came from."""

    texts: list[str]
    labels: list[str]
    sources: list[str]
    """'file:line' of each example, for error messages and audits."""
    name: str = "train"
    pairs: list[str] | None = None
    """Second text of each example (sentence pairs); None for single texts."""
    pair_column: str | None = None
    """The column the second texts were read from."""
    text_column: str | None = None
    """The column the (first) texts were read from."""

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: list[int], name: str) -> "LabeledTexts":
        pairs = None if self.pairs is None else [self.pairs[i] for i in indices]
        return LabeledTexts([self.texts[i] for i in indices], [self.labels[i] for i in indices], [self.sources[i] for i in indices], name, pairs, self.pair_column, self.text_column)

    def keys(self) -> list[str]:
        """Duplicate/leakage keys: the text, or both texts of a pair."""
        return [example_key(text, None if self.pairs is None else self.pairs[i]) for i, text in enumerate(self.texts)]


@dataclass
class DataSpec:
    """Where the data is and how to read it."""

    train: str
    """Training file (.csv, .tsv, .jsonl or .parquet)."""
    validation: str | None = None
    """Validation file; without it a stratified part of train is held out."""
    test: str | None = None
    """Test file, evaluated once at the end."""
    text_column: str | None = None
    """Column with the text (default: detected from common names)."""
    text_pair_column: str | None = None
    """Column with the second text of sentence pairs (default: detected, e.g. sentence2, hypothesis, question2, text_b, '#2 String')."""
    label_column: str | None = None
    """Column with the label (default: detected from common names)."""
    encoding: str = "utf-8"
    """Encoding of text files."""
    validation_fraction: float = 0.15
    """Share of train held out for validation when no validation file is given."""
    split_seed: int = 13
    """Seed of that split, fixed so reruns compare on the same examples."""
    skip_bad_rows: bool = False
    """Drop rows with empty texts or missing labels (reported) instead of stopping."""
    multi_label: bool = False
    """Each text may have several labels: separated by --label-separator in the label column, or a JSON list."""
    label_separator: str = "|"
    """Separator between the labels of one text (multi-label data)."""
    pair_mode: PairMode = "auto"
    """Set from --task: 'auto' pairs when two text columns are detected, 'required' (pairs), 'off' (classification)."""
    unlabeled: str | None = None
    """Unlabeled texts for self-training with --method contrastive: a .txt file (one text per line) or a table with a text column; texts also in validation/test are dropped."""

    def parts(self, label: str) -> list[str]:
        """The labels of one example (one unless multi-label)."""
        if not self.multi_label:
            return [label]
        return [part.strip() for part in label.split(self.label_separator) if part.strip()]


@dataclass
class ClassificationData:
    train: LabeledTexts
    validation: LabeledTexts
    test: LabeledTexts | None
    label_names: list[str]
    issues: IssueLog = field(default_factory=IssueLog)
    validation_from_train: bool = False
    multi_label: bool = False
    label_separator: str = "|"
    text_pair_column: str | None = None
    """The second-text column actually used (sentence pairs), None for single texts."""
    unlabeled: UnlabeledTexts | None = None
    """Texts without labels for self-training (``--unlabeled``), leakage already removed."""

    @property
    def is_pairs(self) -> bool:
        return self.train.pairs is not None

    def label_sets(self, split: LabeledTexts) -> list[list[str]]:
        return [DataSpec("", multi_label=self.multi_label, label_separator=self.label_separator).parts(label) for label in split.labels]

    def splits(self) -> dict[str, LabeledTexts]:
        out = {"train": self.train, "validation": self.validation}
        if self.test is not None:
            out["test"] = self.test
        return out


def label_to_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN from Parquet/pandas exports
            return None
        if value.is_integer():
            value = int(value)
    text = str(value).strip()
    return text or None


def sort_labels(labels: set[str]) -> list[str]:
    """Integers in numeric order (so 0/1 stay 0/1), otherwise alphabetical."""
    if all(label.lstrip("-").isdigit() for label in labels):
        return sorted(labels, key=int)
    return sorted(labels)


def _extract(table: Table, spec: DataSpec, log: IssueLog, name: str) -> LabeledTexts:
    first, pair_col = resolve_columns(table, spec.text_column, spec.text_pair_column, spec.pair_mode)
    text_col = pick_column(table, first, TEXT_NAMES, "text", "--text-column")
    label_col = pick_column(table, spec.label_column, LABEL_NAMES, "label", "--label-column")
    if pair_col is not None and pair_col in (text_col, label_col):
        raise DataError(f"{table.path}: the second text column '{pair_col}' is also the {'text' if pair_col == text_col else 'label'} column; name two different columns with --text-column and --text-pair-column.")
    texts, labels, sources, pairs = [], [], [], []
    empty, unlabeled, looks_multi, no_pair, no_gold = [], [], [], [], []
    for index, row in enumerate(table.rows):
        text = row.get(text_col)
        value = row.get(label_col)
        where = table.where(index)
        if pair_col is not None and text is not None and str(text).strip():
            second = row.get(pair_col)
            if second is None or not str(second).strip():
                no_pair.append(where)
                continue
            if label_to_str(value) in NO_GOLD_LABELS:
                no_gold.append(where)
                continue
        if isinstance(value, (list, tuple)):
            if not spec.multi_label:
                looks_multi.append(where)
            value = spec.label_separator.join(str(v) for v in value) if value else None
        label = label_to_str(value)
        if label is not None and spec.multi_label:
            label = spec.label_separator.join(sorted(set(spec.parts(label)))) or None
        elif label is not None and spec.label_separator in label:
            looks_multi.append(where)
        if text is None or not str(text).strip():
            empty.append(where)
            continue
        if label is None:
            unlabeled.append(where)
            continue
        texts.append(str(text))
        labels.append(label)
        sources.append(where)
        if pair_col is not None:
            pairs.append(str(row.get(pair_col)))
    report = log.warn if spec.skip_bad_rows else log.error
    todo = "they were dropped (--skip-bad-rows)" if spec.skip_bad_rows else "fill them in, delete those rows, or pass --skip-bad-rows to drop them"
    if no_pair:
        report(f"{table.path}: {len(no_pair)} sentence pair(s) without a second text in column '{pair_col}'; {todo}.", no_pair)
    if no_gold:
        log.warn(f"{table.path}: {len(no_gold)} pair(s) with label '-' (no annotator agreement, as in SNLI) were dropped.", no_gold)
    if empty:
        report(f"{table.path}: {len(empty)} row(s) with an empty or whitespace-only text in column '{text_col}'; {todo}.", empty)
    if unlabeled:
        report(f"{table.path}: {len(unlabeled)} row(s) without a label in column '{label_col}'; {todo}.", unlabeled)
    if looks_multi:
        log.error(
            f"{table.path}: {len(looks_multi)} row(s) have several labels in column '{label_col}' (a list, or '{spec.label_separator}' between labels), "
            "but this is a single-label run. Pass --multi-label to train a multi-label classifier, or give each text one label.",
            looks_multi,
        )
    return LabeledTexts(texts, labels, sources, name, pairs if pair_col is not None else None, pair_col, text_col)


def _check_train(train: LabeledTexts, log: IssueLog, path: str, spec: DataSpec) -> None:
    counts = Counter(part for label in train.labels for part in spec.parts(label))
    if len(counts) == 1:
        only = next(iter(counts))
        log.error(f"{path}: every example has the label '{only}'; a classifier needs at least 2 classes. Add examples of the other classes.")
    rare = sorted(label for label, n in counts.items() if n < 2)
    if rare and len(counts) > 1:
        shown = ", ".join(f"'{r}'" for r in rare[:10])
        log.warn(f"{path}: {len(rare)} class(es) with a single example ({shown}); the model can barely learn them and they cannot be validated. Add at least a few examples each.")
    by_text: dict[str, set[str]] = defaultdict(set)
    where: dict[str, list[str]] = defaultdict(list)
    for key, label, source in zip(train.keys(), train.labels, train.sources):
        by_text[key].add(label)
        where[key].append(source)
    conflicts = [key for key, labels in by_text.items() if len(labels) > 1]
    if conflicts:
        locations = [loc for key in conflicts for loc in where[key]]
        log.warn(f"{path}: {len(conflicts)} {'pair' if train.pairs is not None else 'text'}(s) appear more than once with different labels; the model will be trained on both. Check which label is right.", locations)


def _check_eval(train: LabeledTexts, other: LabeledTexts, log: IssueLog, path: str, spec: DataSpec) -> None:
    known = {part for label in train.labels for part in spec.parts(label)}
    unseen = [(part, src) for label, src in zip(other.labels, other.sources) for part in spec.parts(label) if part not in known]
    if unseen:
        names = sorted({label for label, _ in unseen})
        log.error(
            f"{path}: {len(unseen)} example(s) have label(s) never seen in training ({', '.join(repr(n) for n in names[:10])}); "
            "the model cannot predict them. Add training examples of those classes or remove these rows.",
            [src for _, src in unseen],
        )
    train_keys = set(train.keys())
    shared = [src for key, src in zip(other.keys(), other.sources) if key in train_keys]
    if shared:
        log.warn(
            f"{path}: {len(shared)} of {len(other)} {other.name} {'pair' if other.pairs is not None else 'text'}(s) also appear in the training data (leakage): "
            f"{other.name} scores will be optimistic. Remove them from one of the files.",
            shared,
        )


def load_split(spec: DataSpec, name: str = "test") -> LabeledTexts:
    """One labeled file read with ``spec``'s columns and label format; bad rows raise."""
    log = IssueLog()
    split = _extract(read_table(spec.train, spec.encoding), spec, log, name)
    log.raise_if_errors()
    return split


def load_classification_data(spec: DataSpec) -> ClassificationData:
    """Read, validate and split classification data, reporting every problem at once.

    Raises:
        DataError: for unreadable files or missing columns (the first such problem).
        DataValidationError: listing every error found (with warnings) when training would be meaningless.
    """
    log = IssueLog()
    train = _extract(read_table(spec.train, spec.encoding), spec, log, "train")
    if spec.validation is not None:
        validation = _extract(read_table(spec.validation, spec.encoding), spec, log, "validation")
    test = _extract(read_table(spec.test, spec.encoding), spec, log, "test") if spec.test else None
    if spec.validation is not None and (validation.pairs is None) != (train.pairs is None):
        log.error(f"{spec.validation}: {'has' if validation.pairs is not None else 'has no'} second text column but {spec.train} {'has none' if validation.pairs is not None else 'has one'}; train and evaluation files need the same columns.")
    if test is not None and (test.pairs is None) != (train.pairs is None):
        log.error(f"{spec.test}: {'has' if test.pairs is not None else 'has no'} second text column but {spec.train} {'has none' if test.pairs is not None else 'has one'}; train and evaluation files need the same columns.")
    if train.texts:
        _check_train(train, log, spec.train, spec)
    from_train = spec.validation is None
    if from_train:
        kept, held = stratified_split([spec.parts(label)[0] for label in train.labels], spec.validation_fraction, spec.split_seed)
        train, validation = train.subset(kept, "train"), train.subset(held, "validation")
        if not len(validation) and not log.errors:
            log.error(f"{spec.train}: too few examples ({len(train)}) to hold out a validation split; give a --validation file or more data.")
    else:
        _check_eval(train, validation, log, spec.validation, spec)
    if test is not None:
        _check_eval(train, test, log, spec.test, spec)
    log.raise_if_errors()
    names = sort_labels({part for label in train.labels for part in spec.parts(label)})
    unlabeled = None
    if spec.unlabeled is not None:
        evaluation_keys = set(validation.keys()) | (set(test.keys()) if test is not None else set())
        unlabeled = load_unlabeled(spec.unlabeled, set(train.keys()), evaluation_keys, spec.text_column, spec.encoding)
        if unlabeled.in_evaluation:
            log.warn(f"{spec.unlabeled}: {unlabeled.in_evaluation} of {unlabeled.read} unlabeled text(s) also appear in the validation or test data; they were dropped (leakage).")
    return ClassificationData(train, validation, test, names, log, from_train, spec.multi_label, spec.label_separator, train.pair_column, unlabeled)
