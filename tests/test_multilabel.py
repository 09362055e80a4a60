"""Multi-label classification: detection, threshold tuning, metrics, and a clear error for single-label runs."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from conftest import write
from headstart.api import train_run
from headstart.data.classification import DataSpec, load_classification_data
from headstart.data.issues import DataValidationError
from headstart.evaluation.multilabel import multilabel_metrics, tune_threshold
from headstart.training.config import TrainConfig

POLAR = {"pos": ["good", "great", "excellent", "wonderful", "lovely"], "neg": ["bad", "awful", "terrible", "horrible", "poor"]}
TOPIC = {"film": ["movie", "film", "acting"], "story": ["plot", "story"]}


def multilabel_file(tmp_path, n=80):
    rng = random.Random(0)
    rows = []
    for i in range(n):
        sentiment = "pos" if i % 2 else "neg"
        topics = rng.sample(sorted(TOPIC), rng.randint(1, 2))
        words = [rng.choice(POLAR[sentiment])] + [rng.choice(TOPIC[t]) for t in topics] + ["the", "was"]
        rng.shuffle(words)
        rows.append(json.dumps({"text": " ".join(words), "labels": [sentiment, *topics]}))
    return write(tmp_path / "ml.jsonl", "\n".join(rows) + "\n")


def test_multilabel_file_in_single_label_run_is_a_clear_error(tmp_path):
    with pytest.raises(DataValidationError) as info:
        load_classification_data(DataSpec(train=str(multilabel_file(tmp_path))))
    message = str(info.value)
    assert "have several labels in column 'labels'" in message and "--multi-label" in message and "ml.jsonl:1" in message


def test_separator_in_csv_labels_detected(tmp_path):
    path = write(tmp_path / "d.csv", "text,label\n" + "".join(f"t{i},a|b\nu{i},a\n" for i in range(4)))
    with pytest.raises(DataValidationError, match="Pass --multi-label"):
        load_classification_data(DataSpec(train=str(path)))
    data = load_classification_data(DataSpec(train=str(path), multi_label=True))
    assert data.label_names == ["a", "b"] and data.multi_label


def test_threshold_and_metrics_by_hand():
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    probs = np.array([[0.9, 0.2], [0.3, 0.6], [0.7, 0.55], [0.1, 0.4]])
    t = tune_threshold(y, probs)
    assert 0.4 < t <= 0.55
    m = multilabel_metrics(y, probs, 0.5, ["a", "b"])
    assert m["accuracy"] == 1.0 and m["micro_f1"] == 1.0
    m = multilabel_metrics(y, probs, 0.65, ["a", "b"])
    # predicted: [1,0],[0,0],[1,0],[0,0] -> 2 of 4 rows exactly right; label b recall 0
    assert m["accuracy"] == 0.5 and m["per_class"]["b"]["recall"] == 0.0
    assert m["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 2))


@pytest.fixture(scope="module")
def ml_run(tmp_path_factory, tiny_base):
    folder = tmp_path_factory.mktemp("multilabel")
    data_file = multilabel_file(folder, 120)
    summary = train_run(
        DataSpec(train=str(data_file), multi_label=True),
        base=str(tiny_base),
        config=TrainConfig(epochs=25, learning_rate=3e-3, head_learning_rate=3e-3, batch_size=8, patience=0, precision="fp32", seed=2),
        output=folder / "run",
        log=lambda m: None,
    )
    return summary, data_file


def test_multilabel_training_run(ml_run):
    summary, _ = ml_run
    validation = summary.metrics["validation"]
    assert set(validation) >= {"micro_f1", "macro_f1", "accuracy", "threshold", "per_class"}
    assert set(validation["per_class"]) == {"film", "neg", "pos", "story"}
    # Four independent keyword-driven labels: a working multi-label head beats predicting everything (micro-F1 ~0.67).
    assert validation["micro_f1"] >= 0.75
    config = json.loads((summary.path / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert config["multi_label_threshold"] == validation["threshold"]


def test_multilabel_predict_and_eval_use_the_tuned_threshold(ml_run):
    from headstart.api import evaluate_run, predict_texts

    summary, data_file = ml_run
    threshold = summary.metrics["validation"]["threshold"]
    result = predict_texts(summary.path, ["a great movie with a lovely plot"])[0]
    assert result["labels"] == [n for n, p in result["probabilities"].items() if p >= threshold]
    assert abs(sum(result["probabilities"].values()) - 1.0) > 1e-3  # sigmoid per label, not a softmax
    metrics = evaluate_run(summary.path, data_file)
    assert metrics["threshold"] == threshold and metrics["micro_f1"] >= 0.75
