"""The pre-trained separability score behind --method auto."""

from __future__ import annotations

import csv
import random

import numpy as np
import pytest

from conftest import shared
from headstart.catalog.resolve import resolve_base
from headstart.tasks.method_choice import SEPARATED
from headstart.tasks.inference import embed_texts
from headstart.tasks.separability import capped_sample, loo_centroid_separability, pretrained_separability


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_tight_far_apart_classes_score_one_and_shuffled_labels_score_about_chance():
    rng = np.random.default_rng(0)
    centres = np.eye(4, 16) * 10
    y = np.repeat(np.arange(4), 12)
    x = unit(centres[y] + rng.normal(size=(48, 16)))
    assert loo_centroid_separability(x, y) == 1.0
    shuffled = [loo_centroid_separability(unit(rng.normal(size=(48, 16))), y) for _ in range(20)]
    assert abs(np.mean(shuffled)) < 0.15


def test_score_is_chance_corrected_and_leaves_each_text_out_of_its_own_mean():
    # Two texts per class, each nearer the *other* class's texts than its partner: with itself in its own mean every
    # text would look right; left out, every text is wrong, which is below chance.
    x = unit(np.array([[1.0, 0.1], [0.1, 1.0], [0.9, 0.0], [0.0, 0.9]]))
    y = np.array([0, 0, 1, 1])
    assert loo_centroid_separability(x, y) == pytest.approx(-1.0)
    assert np.isnan(loo_centroid_separability(x, np.zeros(4, dtype=int)))


def test_a_class_of_one_text_cannot_be_predicted_for_that_text():
    x = unit(np.array([[1.0, 0.0], [0.0, 1.0], [0.1, 1.0]]))
    assert loo_centroid_separability(x, np.array(["a", "b", "b"])) == pytest.approx((2 / 3 - 1 / 2) / (1 / 2))


def test_capped_sample_keeps_small_classes_whole_and_is_fixed():
    labels = ["a"] * 100 + ["b"] * 5
    keep = capped_sample(labels, cap=10)
    assert len(keep) == 15 and keep == sorted(keep) and keep == capped_sample(labels, cap=10)
    assert [labels[i] for i in keep].count("b") == 5


def test_embeddings_are_unit_length_and_independent_of_batching(tiny_base):
    base = resolve_base(str(tiny_base))
    texts = ["good film", "a truly terrible and long film", "ok", "bad"]
    one = embed_texts(base, texts, 32, batch_size=1)
    together = embed_texts(base, texts, 32, batch_size=4)
    assert one.shape == (4, 32) and np.allclose(np.linalg.norm(one, axis=1), 1.0, atol=1e-5)
    assert np.allclose(one, together, atol=1e-5)


def rows_per_class(path, text: str, label: str, per_class: int, seed: int, encoding: str = "utf-8", delimiter: str = ",") -> tuple[list[str], list[str]]:
    with open(path, encoding=encoding, newline="") as handle:
        rows = [(r[text], r[label]) for r in csv.DictReader(handle, delimiter=delimiter, quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)]
    by_label: dict[str, list[str]] = {}
    for t, l in rows:
        by_label.setdefault(l, []).append(t)
    rng = random.Random(seed)
    chosen = [(t, l) for l in sorted(by_label) for t in rng.sample(by_label[l], min(per_class, len(by_label[l])))]
    return [t for t, _ in chosen], [l for _, l in chosen]


def test_bundled_model_separates_banking_intents_and_not_sentiment():
    """The rule's two sides on real data, 8 texts per class, with the default encoder."""
    from importlib.resources import files

    base = resolve_base("minilm-l6")
    banking = files("headstart") / "resources" / "banking77" / "train.csv"
    texts, labels = rows_per_class(banking, "text", "label", 8, seed=0)
    labels_20 = sorted(set(labels))[:20]
    keep = [i for i, l in enumerate(labels) if l in labels_20]
    intents = pretrained_separability(base, [texts[i] for i in keep], [labels[i] for i in keep], 64)
    sst2 = shared("sst2_glue") / "train.tsv"
    texts, labels = rows_per_class(sst2, "sentence", "label", 32, seed=0, delimiter="\t")
    sentiment = pretrained_separability(base, texts, labels, 64)
    assert intents >= SEPARATED > sentiment, (intents, sentiment)
