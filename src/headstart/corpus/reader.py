"""Unlabeled text for (continued) pre-training: read, check, and split off held-out documents.

A corpus is a .txt file (one document per line, or paragraphs separated by
blank lines: detected) or the text column of a CSV/TSV/JSONL/Parquet file. Plain
text streams from disk (:mod:`headstart.corpus.textfile`); tables are read with
the labeled-data readers and held in memory.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from headstart.corpus.textfile import LAYOUTS, index_text_file
from headstart.data.columns import TEXT_NAMES, pick_column
from headstart.data.readers import SUPPORTED_SUFFIXES, read_table
from headstart.errors import ConfigError, DataError

TEXT_SUFFIXES = (".txt", ".text", "")
MIN_DOCUMENTS = 2


class Documents(Protocol):
    """Random access to a corpus's documents."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> str: ...

    def byte_length(self, index: int) -> int: ...


@dataclass
class ListDocuments:
    """Documents held in memory (from a table's text column)."""

    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: int) -> str:
        return self.texts[index]

    def byte_length(self, index: int) -> int:
        return len(self.texts[index])


@dataclass
class CorpusSpec:
    """Where the unlabeled text is and how to read it."""

    text_column: str | None = None
    """Text column of a CSV/TSV/JSONL/Parquet corpus (default: found by name, e.g. 'text')."""
    encoding: str = "utf-8"
    """Text encoding of the corpus file."""
    layout: Literal["auto", "lines", "paragraphs"] = "auto"
    """For .txt: 'lines' (one document per line), 'paragraphs' (blank-line separated) or 'auto' (detect)."""
    heldout_fraction: float = 0.05
    """Share of documents held out to measure pseudo-perplexity and masked-token accuracy."""
    heldout_max: int = 500
    """At most this many held-out documents."""
    split_seed: int = 13
    """Seed of the held-out split."""

    def validate(self) -> None:
        problems = []
        if self.layout not in LAYOUTS:
            problems.append(f"--layout must be one of {', '.join(LAYOUTS)}; got '{self.layout}'.")
        if not 0 < self.heldout_fraction < 0.5:
            problems.append(f"--heldout-fraction must be between 0 and 0.5; got {self.heldout_fraction}.")
        if self.heldout_max < 1:
            problems.append(f"--heldout-max must be at least 1; got {self.heldout_max}.")
        if problems:
            raise ConfigError("invalid corpus options:\n  " + "\n  ".join(problems))


@dataclass
class Corpus:
    """A corpus's documents and its train / held-out split (document indices)."""

    path: Path
    documents: Documents
    layout: str
    """'lines', 'paragraphs' or 'column:NAME'."""
    train: list[int]
    heldout: list[int]

    def texts(self, indices: list[int]) -> list[str]:
        return [self.documents[i] for i in indices]

    def describe(self) -> str:
        kind = self.layout if not self.layout.startswith("column:") else f"text column '{self.layout[7:]}'"
        return f"{self.path}: {len(self.documents):,} documents ({kind}); {len(self.train):,} for training, {len(self.heldout):,} held out"


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataError(f"{path}: no such file. Check the path (relative paths are taken from {Path.cwd()}).")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a corpus file (.txt, or .csv/.jsonl with a text column).")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty; expected unlabeled text, one document per line or paragraphs separated by blank lines.")


def _table_documents(path: Path, spec: CorpusSpec) -> tuple[ListDocuments, str]:
    table = read_table(path, spec.encoding)
    column = pick_column(table, spec.text_column, TEXT_NAMES, "text", "--text-column")
    texts = [str(row[column]).strip() for row in table.rows if row.get(column) is not None and str(row[column]).strip()]
    return ListDocuments(texts), f"column:{column}"


def split_heldout(n_documents: int, fraction: float, maximum: int, seed: int) -> tuple[list[int], list[int]]:
    """(train, held-out) document indices; held-out gets at least one document, train keeps the rest in file order."""
    order = list(range(n_documents))
    random.Random(seed).shuffle(order)
    size = max(1, min(maximum, round(n_documents * fraction)))
    heldout = sorted(order[:size])
    held = set(heldout)
    return [i for i in range(n_documents) if i not in held], heldout


def load_corpus(path: str | Path, spec: CorpusSpec | None = None) -> Corpus:
    """Index a corpus file and split off held-out documents.

    Raises:
        DataError: for a missing, empty, binary, undecodable or single-document corpus.
    """
    spec = spec or CorpusSpec()
    spec.validate()
    path = Path(path)
    _check_file(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        documents = index_text_file(path, spec.encoding, spec.layout)
        layout = documents.layout
    elif suffix in SUPPORTED_SUFFIXES:
        documents, layout = _table_documents(path, spec)
    else:
        raise DataError(
            f"{path}: unsupported corpus type '{suffix}'. Expected a .txt file (one document per line or blank-line-separated "
            "paragraphs), or a .csv/.tsv/.jsonl/.parquet file with a text column."
        )
    if len(documents) == 0:
        raise DataError(f"{path}: holds no text (only blank lines or empty cells).")
    if len(documents) < MIN_DOCUMENTS:
        raise DataError(
            f"{path}: found a single document ({documents.byte_length(0):,} bytes on one line or in one paragraph). "
            "A corpus needs many documents, some of them held out for evaluation: put one document (or sentence) per line, "
            "or separate paragraphs with blank lines."
        )
    train, heldout = split_heldout(len(documents), spec.heldout_fraction, spec.heldout_max, spec.split_seed)
    return Corpus(path, documents, layout, train, heldout)
