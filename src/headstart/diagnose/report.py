"""``diagnose``: how well a base model fits the user's text before any training, and what to do about it.

Thresholds are rules of thumb, stated in the output with the numbers behind
them, not guarantees: the only sure test is to fine-tune and compare.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from headstart.catalog.resolve import ResolvedBase
from headstart.corpus.reader import CorpusSpec, load_corpus
from headstart.data.columns import LABEL_NAMES, TEXT_NAMES, pick_column
from headstart.data.readers import SUPPORTED_SUFFIXES, read_table
from headstart.diagnose.neighbours import mean_pooled_embeddings, neighbour_agreement
from headstart.diagnose.vocabulary import FRAGMENTED_PIECES, VocabularyFit, vocabulary_fit
from headstart.errors import DataError, ModelNotFoundError
from headstart.models.loading import load_tokenizer, quiet_transformers
from headstart.pretrain.mlm_model import load_masked_lm
from headstart.pretrain.perplexity import pseudo_perplexity

Verdict = Literal["fine-tune", "adapt", "pretrain"]

SEVERE_FRAGMENTATION = 0.30
MODERATE_FRAGMENTATION = 0.05
"""minilm-l6 splits 0.4% of BANKING77 words into 3+ pieces, 8.9% of BC5CDR's biomedical abstracts."""
SEVERE_UNKNOWN = 0.05
MODERATE_UNKNOWN = 0.01
HIGH_PERPLEXITY_RATIO = 2.0
"""Pseudo-perplexity on the user's text over that on everyday English (the bundled BANKING77 sample).
Absolute values are not comparable across models (a retrieval-tuned head scores thousands on plain English)."""
WEAK_NEIGHBOUR_MARGIN = 0.10


@dataclass
class DiagnoseConfig:
    """What is measured."""

    text_column: str | None = None
    """Text column of a table (default: found by name, e.g. 'text')."""
    label_column: str | None = None
    """Label column of a table (default: found by name, e.g. 'label'; none found = unlabeled)."""
    encoding: str = "utf-8"
    """Text encoding of DATA."""
    max_texts: int = 500
    """Texts sampled from DATA (seeded)."""
    max_length: int = 128
    """Tokens per text."""
    perplexity_tokens: int = 300
    """Tokens scored for pseudo-perplexity (one forward pass each)."""
    neighbours: int = 1
    """k of the k-nearest-neighbour label agreement."""
    seed: int = 13
    """Seed of the sample."""


@dataclass
class Diagnosis:
    base: str
    texts: int
    vocabulary: VocabularyFit
    pseudo_perplexity: dict | None
    neighbours: dict | None
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"base": self.base, "texts": self.texts, "vocabulary": self.vocabulary.to_dict(), "pseudo_perplexity": self.pseudo_perplexity,
                "neighbours": self.neighbours, "verdict": self.verdict, "reasons": self.reasons}


def read_texts(path: Path, config: DiagnoseConfig) -> tuple[list[str], list[str] | None]:
    """Texts (and labels when the file has a label column) of a table or a plain-text corpus."""
    if path.suffix.lower() in SUPPORTED_SUFFIXES and path.suffix.lower() != ".txt":
        table = read_table(path, config.encoding)
        text = pick_column(table, config.text_column, TEXT_NAMES, "text", "--text-column")
        label: str | None
        try:
            label = pick_column(table, config.label_column, LABEL_NAMES, "label", "--label-column")
        except DataError:
            if config.label_column is not None:
                raise
            label = None
        rows = [r for r in table.rows if r.get(text) is not None and str(r[text]).strip()]
        texts = [str(r[text]) for r in rows]
        labels = [str(r.get(label)) for r in rows] if label else None
    else:
        corpus = load_corpus(path, CorpusSpec(encoding=config.encoding))
        texts, labels = [corpus.documents[i] for i in range(len(corpus.documents))], None
    if len(texts) > config.max_texts:
        keep = sorted(random.Random(config.seed).sample(range(len(texts)), config.max_texts))
        texts = [texts[i] for i in keep]
        labels = [labels[i] for i in keep] if labels else None
    return texts, labels


def reference_texts() -> list[str]:
    """Everyday English to compare pseudo-perplexity against: the bundled BANKING77 sample."""
    folder = resources.files("headstart") / "resources" / "banking77"
    table = read_table(Path(str(folder / "train.csv")))
    return [str(row["text"]) for row in table.rows[:200]]


def recommend(vocab: VocabularyFit, ppl: dict | None, neighbours: dict | None) -> tuple[Verdict, list[str]]:
    """A plain verdict and the measurements behind it."""
    reasons: list[str] = []
    frag, unk = vocab.fragmented_share, vocab.unknown_rate
    if frag >= SEVERE_FRAGMENTATION or unk >= SEVERE_UNKNOWN:
        reasons.append(f"{frag:.0%} of words split into {FRAGMENTED_PIECES}+ pieces and {unk:.1%} unknown tokens: the vocabulary does not fit this text")
        return "pretrain", reasons
    if frag >= MODERATE_FRAGMENTATION:
        reasons.append(f"{frag:.0%} of words split into {FRAGMENTED_PIECES}+ pieces (over {MODERATE_FRAGMENTATION:.0%}): many domain words are rare for this model")
    if unk >= MODERATE_UNKNOWN:
        reasons.append(f"{unk:.1%} of tokens are unknown (over {MODERATE_UNKNOWN:.0%})")
    if ppl is not None and ppl["ratio_to_reference"] > HIGH_PERPLEXITY_RATIO:
        reasons.append(f"pseudo-perplexity {ppl['pseudo_perplexity']:.0f} is {ppl['ratio_to_reference']:.1f}x that on everyday English "
                       f"(over {HIGH_PERPLEXITY_RATIO:.0f}x): the model finds this text surprising")
    weak_neighbours = neighbours is not None and neighbours["knn_agreement"] - neighbours["majority_rate"] < WEAK_NEIGHBOUR_MARGIN
    if weak_neighbours:
        reasons.append(f"nearest-neighbour label agreement {neighbours['knn_agreement']:.0%} vs {neighbours['majority_rate']:.0%} by always guessing the commonest label: "
                       "frozen embeddings barely separate the labels (fine-tuning may still fix this)")
    domain_mismatch = len(reasons) - int(weak_neighbours)
    if domain_mismatch:
        return "adapt", reasons
    if neighbours is not None and not weak_neighbours:
        reasons.append(f"nearest-neighbour label agreement {neighbours['knn_agreement']:.0%} vs {neighbours['majority_rate']:.0%} majority rate")
    reasons.insert(0, f"{frag:.0%} of words fragmented, {unk:.1%} unknown tokens: the vocabulary fits")
    return "fine-tune", reasons


def diagnose(base: ResolvedBase, data: str | Path, config: DiagnoseConfig) -> Diagnosis:
    """Measure fit of ``base`` to the texts in ``data``; loads the model once, trains nothing."""
    quiet_transformers()
    texts, labels = read_texts(Path(data), config)
    tokenizer = load_tokenizer(base)
    if not getattr(tokenizer, "is_fast", False):
        raise ModelNotFoundError(f"{base.location}: diagnose needs a fast tokenizer (tokenizer.json) to find word boundaries.")
    vocab = vocabulary_fit(tokenizer, texts, config.max_length)
    model, had_head = load_masked_lm(base)
    ppl = None
    if had_head:
        ppl = pseudo_perplexity(model, tokenizer, texts, config.perplexity_tokens, config.max_length).to_dict()
        reference = pseudo_perplexity(model, tokenizer, reference_texts(), config.perplexity_tokens, config.max_length)
        ppl["reference"] = reference.value
        ppl["ratio_to_reference"] = ppl["pseudo_perplexity"] / reference.value
    neighbours = None
    if labels is not None and len(set(labels)) > 1:
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        embeddings = mean_pooled_embeddings(model.base_model, tokenizer, texts, config.max_length, pad_token_id=pad)
        neighbours = neighbour_agreement(embeddings, labels, config.neighbours)
    verdict, reasons = recommend(vocab, ppl, neighbours)
    return Diagnosis(base.name, len(texts), vocab, ppl, neighbours, verdict, reasons)
