"""Unlabeled texts for self-training (``--unlabeled FILE``): read, de-duplicate, drop leakage.

The file is read like a pre-training corpus (corpus/reader.py): a .txt file with one
text per line, or the text column of a CSV/TSV/JSONL/Parquet file. A text that is
also in the validation or test data is dropped, since a pseudo-label learned from
it would leak into the scores; texts already labeled in train and repeats are
dropped too. Every count is kept so the run record can say what was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from headstart.corpus.reader import CorpusSpec, load_corpus
from headstart.data.pairs import example_key
from headstart.errors import DataError


@dataclass
class UnlabeledTexts:
    """The usable unlabeled texts of ``path`` and how many were dropped, and why."""

    path: str
    texts: list[str]
    read: int
    """Non-empty texts in the file."""
    in_evaluation: int = 0
    """Dropped: also in the validation or test data (leakage)."""
    in_train: int = 0
    """Dropped: already labeled in train."""
    repeated: int = 0
    """Dropped: repeats of an earlier unlabeled text."""

    def __len__(self) -> int:
        return len(self.texts)

    def counts(self) -> dict[str, int]:
        return {"read": self.read, "usable": len(self.texts), "dropped_in_validation_or_test": self.in_evaluation, "dropped_in_train": self.in_train, "dropped_repeated": self.repeated}


def load_unlabeled(path: str | Path, train_keys: set[str], evaluation_keys: set[str], text_column: str | None = None, encoding: str = "utf-8") -> UnlabeledTexts:
    """Texts of an unlabeled file minus those in evaluation data (leakage), in train, or repeated.

    Args:
        path: a .txt file (one text per line) or a CSV/TSV/JSONL/Parquet file with a text column.
        train_keys: ``LabeledTexts.keys()`` of the training split.
        evaluation_keys: keys of the validation and test splits.
        text_column: the text column of a table (default: found by name).
        encoding: text encoding of the file.

    Raises:
        DataError: naming the file, for a missing, empty or unreadable file, or one left with no usable text.
    """
    try:
        corpus = load_corpus(path, CorpusSpec(text_column=text_column, encoding=encoding, layout="lines"))
    except DataError as err:
        raise DataError(f"--unlabeled: {err} Give one unlabeled text per line (.txt), or a .csv/.tsv/.jsonl file with a text column.") from None
    documents = corpus.documents
    texts: list[str] = []
    seen: set[str] = set()
    result = UnlabeledTexts(str(path), texts, len(documents))
    for index in range(len(documents)):
        text = documents[index].strip()
        key = example_key(text, None)
        if key in evaluation_keys:
            result.in_evaluation += 1
        elif key in train_keys:
            result.in_train += 1
        elif key in seen:
            result.repeated += 1
        else:
            seen.add(key)
            texts.append(text)
    if not texts:
        raise DataError(
            f"--unlabeled {path}: none of its {result.read} text(s) can be used ({result.in_evaluation} also in validation/test, "
            f"{result.in_train} already labeled in train, {result.repeated} repeated). Give texts that are not in the labeled files."
        )
    return result
