"""Exact and near-duplicate texts, within one set or between two (train/eval leakage).

Near-duplicates are pairs whose character n-gram TF-IDF vectors have a cosine
similarity at or above a threshold. Similarities are computed one block of query
rows at a time against the sparse reference matrix, so memory stays at
``block x n_reference`` floats instead of an ``n x n`` matrix.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

MAX_BLOCK_CELLS = 4_000_000
"""Dense similarity cells held at once (~16 MB of float32)."""


def normalise(text: str) -> str:
    """Case-, accent-width- and whitespace-insensitive form used to compare texts."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def exact_groups(texts: list[str]) -> list[list[int]]:
    """Groups (of 2 or more indices) whose normalised texts are identical, in first-seen order."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        by_key[normalise(text)].append(index)
    return [group for group in by_key.values() if len(group) > 1]


@dataclass(frozen=True)
class NearPair:
    """Two texts that are near-duplicates; ``query`` indexes the first set, ``reference`` the second."""

    query: int
    reference: int
    similarity: float


def _vectorise(queries: list[str], references: list[str] | None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), preprocessor=normalise, sublinear_tf=True, dtype=np.float32)
    fitted = vectoriser.fit(queries + (references or []))
    query_matrix = fitted.transform(queries)
    reference_matrix = query_matrix if references is None else fitted.transform(references)
    return query_matrix, reference_matrix


class NearDuplicateIndex:
    """One TF-IDF fit over every split, so comparing several pairs of splits vectorises each text once."""

    def __init__(self, splits: dict[str, list[str]]):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.texts = splits
        names = [name for name, texts in splits.items() if texts]
        vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), preprocessor=normalise, sublinear_tf=True, dtype=np.float32)
        matrix = vectoriser.fit_transform([text for name in names for text in splits[name]]) if names else None
        self.matrices, start = {}, 0
        for name in names:
            self.matrices[name] = matrix[start : start + len(splits[name])]
            start += len(splits[name])

    def pairs(self, query: str, reference: str | None = None, threshold: float = 0.9, skip_exact: bool = True) -> list[NearPair]:
        """Near-duplicate pairs between split ``query`` and split ``reference`` (``None``: within ``query``)."""
        if query not in self.matrices or (reference is not None and reference not in self.matrices):
            return []
        return _similar_pairs(
            self.matrices[query], self.matrices[reference if reference is not None else query], self.texts[query],
            None if reference is None else self.texts[reference], threshold, skip_exact,
        )


def near_pairs(queries: list[str], references: list[str] | None = None, threshold: float = 0.9, skip_exact: bool = True) -> list[NearPair]:
    """Pairs with cosine similarity >= ``threshold`` of character 3-5-gram TF-IDF vectors.

    Args:
        queries: Texts to check.
        references: Texts to compare against; ``None`` compares ``queries`` with each
            other (each unordered pair reported once).
        threshold: Minimum cosine similarity, in (0, 1].
        skip_exact: Leave out pairs whose normalised texts are identical (reported as exact).

    Returns:
        Pairs sorted by decreasing similarity.
    """
    if not queries or (references is not None and not references):
        return []
    query_matrix, reference_matrix = _vectorise(queries, references)
    return _similar_pairs(query_matrix, reference_matrix, queries, references, threshold, skip_exact)


def _similar_pairs(query_matrix, reference_matrix, queries: list[str], references: list[str] | None, threshold: float, skip_exact: bool) -> list[NearPair]:
    within = references is None
    reference_texts = queries if within else references
    n_reference = reference_matrix.shape[0]
    block = max(1, MAX_BLOCK_CELLS // max(n_reference, 1))
    reference_t = reference_matrix.T.tocsc()
    pairs: list[NearPair] = []
    for start in range(0, query_matrix.shape[0], block):
        sims = (query_matrix[start : start + block] @ reference_t).toarray()
        rows, cols = np.nonzero(sims >= threshold - 1e-6)
        for row, col in zip(rows.tolist(), cols.tolist()):
            query = start + row
            if within and col <= query:
                continue
            if skip_exact and normalise(queries[query]) == normalise(reference_texts[col]):
                continue
            pairs.append(NearPair(query, col, round(float(min(sims[row, col], 1.0)), 4)))
    pairs.sort(key=lambda p: (-p.similarity, p.query, p.reference))
    return pairs


def exact_cross(queries: list[str], references: list[str]) -> list[tuple[int, int]]:
    """(query index, first matching reference index) for each query whose normalised text occurs in ``references``."""
    first: dict[str, int] = {}
    for index, text in enumerate(references):
        first.setdefault(normalise(text), index)
    out = []
    for index, text in enumerate(queries):
        match = first.get(normalise(text))
        if match is not None:
            out.append((index, match))
    return out
