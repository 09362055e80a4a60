"""Multi-label on real text: which entity types does a CoNLL-2003 sentence mention? (issue 3)

The file is built in the test from the shared CoNLL-2003 data (never copied into the repo):
each sentence with at least one entity, labelled with the set of its entity types
(PER, LOC, ORG, MISC), written as JSONL with a list of labels.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import shared
from headstart.api import train_run
from headstart.data.classification import DataSpec
from headstart.data.issues import DataValidationError
from headstart.data.tokens import read_tagged_file
from headstart.training.config import TrainConfig


def entity_type_file(source, out, limit: int) -> tuple[list[set[str]], object]:
    sentences, _ = read_tagged_file(source)
    rows, label_sets = [], []
    for words, tags in zip(sentences.words, sentences.tags):
        types = sorted({tag[2:] for tag in tags if tag != "O"})
        if types and len(words) >= 4:
            rows.append(json.dumps({"text": " ".join(words), "labels": types}))
            label_sets.append(set(types))
        if len(rows) == limit:
            break
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return label_sets, out


@pytest.mark.integration
def test_entity_types_multilabel_run_beats_the_most_frequent_label_set(tmp_path):
    conll = shared("conll2003")
    _, train = entity_type_file(conll / "eng.train", tmp_path / "train.jsonl", 600)
    test_sets, test = entity_type_file(conll / "eng.testb", tmp_path / "test.jsonl", 300)
    config = TrainConfig(method="full", epochs=3, batch_size=16, max_length=64, seed=0)
    summary = train_run(DataSpec(train=str(train), test=str(test), multi_label=True), "minilm-l6", config, tmp_path / "run", log=lambda m: None)
    scores = summary.metrics["test"]
    assert set(scores["per_class"]) == {"LOC", "MISC", "ORG", "PER"}
    assert 0.05 < scores["threshold"] < 0.95
    # Baseline without a model: predict the most frequent label set for every sentence.
    labels = sorted({"LOC", "MISC", "ORG", "PER"})
    truth = np.array([[name in s for name in labels] for s in test_sets])
    common = max({frozenset(s) for s in test_sets}, key=lambda s: sum(t == set(s) for t in test_sets))
    guess = np.array([[name in common for name in labels]] * len(test_sets))
    tp = (truth & guess).sum()
    baseline_micro_f1 = 2 * tp / (truth.sum() + guess.sum())
    assert scores["micro_f1"] > baseline_micro_f1 + 0.15, (scores["micro_f1"], baseline_micro_f1)
    assert scores["macro_f1"] > 0.5


@pytest.mark.integration
def test_entity_types_file_in_a_single_label_run_is_a_clear_error(tmp_path):
    _, train = entity_type_file(shared("conll2003") / "eng.train", tmp_path / "train.jsonl", 200)
    with pytest.raises(DataValidationError, match="(?s)have several labels in column 'labels'.*--multi-label"):
        train_run(DataSpec(train=str(train)), "minilm-l6", TrainConfig(epochs=1), tmp_path / "run", log=lambda m: None)
    assert not (tmp_path / "run").exists()
