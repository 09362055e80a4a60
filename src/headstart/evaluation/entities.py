"""Entity-level precision, recall and F1 with seqeval's default (conlleval) conventions.

An entity counts as correct only when its type and exact token span match. Chunks
are read the way conlleval and ``seqeval.metrics.classification_report`` (default
mode) read them: an I- tag that does not continue an entity of its type starts a
new one (so ``O I-PER`` is a PER entity), and a change of type ends an entity.
Scores for a type with no predicted (or no true) entities are 0, as in seqeval's
``zero_division`` default for reports.
"""

from __future__ import annotations

from collections import Counter


def _split(tag: str) -> tuple[str, str]:
    if tag == "O" or not tag:
        return "O", ""
    if len(tag) > 1 and tag[1] in "-_":
        return tag[0], tag[2:]
    return tag[0], ""


def _ends(prev_prefix: str, prefix: str, prev_type: str, kind: str) -> bool:
    """conlleval's end_of_chunk: does the chunk open before this tag end here?"""
    if prev_prefix in ("E", "S", "L", "U"):
        return True
    if prev_prefix == "B" and prefix in ("B", "S", "U", "O"):
        return True
    if prev_prefix == "I" and prefix in ("B", "S", "U", "O"):
        return True
    return prev_prefix != "O" and prev_type != kind


def _starts(prev_prefix: str, prefix: str, prev_type: str, kind: str) -> bool:
    """conlleval's start_of_chunk: does a chunk begin at this tag?"""
    if prefix in ("B", "S", "U"):
        return True
    if prev_prefix in ("E", "S", "L", "U", "O") and prefix in ("E", "I", "L"):
        return True
    return prefix != "O" and prev_type != kind


def entities(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, first token, last token inclusive) of every entity in one tag sequence."""
    found: list[tuple[str, int, int]] = []
    prev_prefix, prev_type, begin = "O", "", 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, kind = _split(tag)
        if _ends(prev_prefix, prefix, prev_type, kind):
            found.append((prev_type, begin, i - 1))
        if _starts(prev_prefix, prefix, prev_type, kind):
            begin = i
        prev_prefix, prev_type = prefix, kind
    return found


def _prf(correct: int, predicted: int, true: int) -> tuple[float, float, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def entity_metrics(true_tags: list[list[str]], pred_tags: list[list[str]]) -> dict:
    """Micro-averaged and per-type entity P/R/F1 over sentences, plus macro-F1 and token accuracy."""
    if len(true_tags) != len(pred_tags):
        raise ValueError(f"{len(true_tags)} true and {len(pred_tags)} predicted sentences")
    true_count: Counter = Counter()
    pred_count: Counter = Counter()
    correct_count: Counter = Counter()
    tokens = same = 0
    for n, (true, pred) in enumerate(zip(true_tags, pred_tags)):
        if len(true) != len(pred):
            raise ValueError(f"sentence {n}: {len(true)} true and {len(pred)} predicted tags")
        gold = set(entities(true))
        guess = set(entities(pred))
        true_count.update(kind for kind, _, _ in gold)
        pred_count.update(kind for kind, _, _ in guess)
        correct_count.update(kind for kind, _, _ in gold & guess)
        tokens += len(true)
        same += sum(t == p for t, p in zip(true, pred))
    per_type = {}
    for kind in sorted(set(true_count) | set(pred_count)):
        p, r, f = _prf(correct_count[kind], pred_count[kind], true_count[kind])
        per_type[kind] = {"precision": p, "recall": r, "f1": f, "support": true_count[kind], "predicted": pred_count[kind]}
    p, r, f = _prf(sum(correct_count.values()), sum(pred_count.values()), sum(true_count.values()))
    # seqeval's macro average runs over every type seen in true or predicted tags.
    type_f1 = [v["f1"] for v in per_type.values()]
    return {
        "precision": p,
        "recall": r,
        "f1": f,
        "macro_f1": sum(type_f1) / len(type_f1) if type_f1 else 0.0,
        "token_accuracy": same / tokens if tokens else 0.0,
        "n_sentences": len(true_tags),
        "n_entities": sum(true_count.values()),
        "n_predicted": sum(pred_count.values()),
        "per_type": per_type,
    }


def entity_headline(metrics: dict) -> str:
    return f"entity F1 {metrics['f1']:.4f} (precision {metrics['precision']:.4f}, recall {metrics['recall']:.4f}; {metrics['n_entities']} entities in {metrics['n_sentences']} sentences)"
