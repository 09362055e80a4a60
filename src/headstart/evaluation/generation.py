"""Scores of generated text against references: ROUGE-1/2/L (Google's rouge-score) and exact match."""

from __future__ import annotations

import re

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def normalize(text: str) -> str:
    """Lower case, no punctuation at the ends of words, single spaces (SQuAD-style exact match)."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def generation_metrics(predictions: list[str], references: list[str]) -> dict:
    """Mean ROUGE F-measures (0-1, with the Porter stemmer, as in the summarization literature), exact match
    and lengths in words.

    Raises:
        ValueError: when the two lists differ in length.
    """
    from rouge_score import rouge_scorer

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    n = len(predictions)
    if not n:
        return {"n_examples": 0, **{name: 0.0 for name in ROUGE_TYPES}, "exact_match": 0.0}
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    sums = dict.fromkeys(ROUGE_TYPES, 0.0)
    for prediction, reference in zip(predictions, references):
        scores = scorer.score(reference, prediction)
        for name in ROUGE_TYPES:
            sums[name] += scores[name].fmeasure
    return {
        "n_examples": n,
        **{name: sums[name] / n for name in ROUGE_TYPES},
        "exact_match": sum(normalize(p) == normalize(r) for p, r in zip(predictions, references)) / n,
        "empty_predictions": sum(1 for p in predictions if not p.strip()),
        "mean_prediction_words": sum(len(p.split()) for p in predictions) / n,
        "mean_reference_words": sum(len(r.split()) for r in references) / n,
    }


def generation_headline(metrics: dict) -> str:
    """One line: ROUGE-1/2/L and exact match."""
    return (
        f"ROUGE-1 {metrics['rouge1']:.4f}, ROUGE-2 {metrics['rouge2']:.4f}, ROUGE-L {metrics['rougeL']:.4f}, "
        f"exact match {metrics['exact_match']:.4f} ({metrics['n_examples']} examples)"
    )
