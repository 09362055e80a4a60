"""End-to-end classification runs with a tiny random BERT: what a run writes and how it reloads."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from headstart.api import predict_texts, train_run
from headstart.data.classification import DataSpec
from headstart.errors import ConfigError
from headstart.training.config import TrainConfig

FAST = dict(method="full", epochs=25, learning_rate=3e-3, head_learning_rate=3e-3, batch_size=8, patience=0, seed=3, precision="fp32")

RUN_FILES = {
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "README.md",
    "headstart.yaml",
    "metrics.json",
    "train.log",
    "confusion_matrix_validation.png",
    "confusion_matrix_test.png",
    "audit.json",
    "suspects.csv",
    "report.html",
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, tiny_base):
    from conftest import ASSETS

    out = tmp_path_factory.mktemp("runs") / "tiny"
    summary = train_run(
        DataSpec(train=str(ASSETS / "tiny_sentiment.csv"), test=str(ASSETS / "tiny_sentiment.csv"), validation_fraction=0.25),
        base=str(tiny_base),
        config=TrainConfig(**FAST),
        output=out,
        log=lambda m: None,
    )
    return summary


def test_run_directory_holds_exactly_these_files(tiny_run):
    files = {p.name for p in tiny_run.path.iterdir()}
    assert files - {"special_tokens_map.json", "vocab.txt"} == RUN_FILES
    assert not (tiny_run.path.parent / ".tiny.partial").exists()


def test_tiny_model_learns_the_task(tiny_run):
    # Sentiment is carried by one of 20 polar words: a working loop separates it; chance is 0.5.
    assert tiny_run.metrics["validation"]["accuracy"] >= 0.8


def test_metrics_json_schema(tiny_run):
    metrics = json.loads((tiny_run.path / "metrics.json").read_text())
    for split in ("validation", "test"):
        scores = metrics[split]
        assert set(scores) >= {"accuracy", "macro_f1", "per_class", "n_examples", "confusion_matrix"}
        assert set(scores["per_class"]) == {"negative", "positive"}
        assert np.asarray(scores["confusion_matrix"]).sum() == scores["n_examples"]
    assert len(metrics["history"]) >= 1 and "val_accuracy" in metrics["history"][0]


def test_resolved_config_has_versions_and_labels(tiny_run):
    record = yaml.safe_load((tiny_run.path / "headstart.yaml").read_text())
    assert record["labels"] == ["negative", "positive"]
    assert record["train"]["learning_rate"] == 3e-3
    assert record["versions"]["transformers"].startswith("5.")
    assert record["data"]["validation_from_train"] is True


def test_plain_transformers_pipeline_matches_headstart_predict(tiny_run):
    from transformers import pipeline

    texts = ["the movie was great", "awful acting and a boring plot", "it is okay"]
    classifier = pipeline("text-classification", model=str(tiny_run.path), device="cpu")
    plain = classifier(texts)
    ours = predict_texts(tiny_run.path, texts)
    assert [p["label"] for p in plain] == [o["label"] for o in ours]
    assert np.allclose([p["score"] for p in plain], [o["score"] for o in ours], atol=1e-5)


def test_model_card_sections_and_metadata(tiny_run):
    card = (tiny_run.path / "README.md").read_text()
    assert card.startswith("---\n")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["pipeline_tag"] == "text-classification"
    assert meta["model-index"][0]["results"][0]["metrics"][0]["type"] == "accuracy"
    for section in ("## Model details", "## Intended use", "## Training data", "## Training procedure", "## Evaluation results", "## Limitations"):
        assert section in card
    assert f"{tiny_run.metrics['test']['accuracy']:.4f}" in card


def test_existing_output_needs_overwrite(tiny_run, tiny_base):
    from conftest import ASSETS

    with pytest.raises(ConfigError, match="already exists.*--overwrite"):
        train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv")), base=str(tiny_base), config=TrainConfig(**FAST), output=tiny_run.path, log=lambda m: None)


def test_head_method_freezes_encoder(tmp_path, tiny_base):
    from conftest import ASSETS
    from safetensors.torch import load_file

    summary = train_run(
        DataSpec(train=str(ASSETS / "tiny_sentiment.csv")),
        base=str(tiny_base),
        config=TrainConfig(method="head", epochs=2, batch_size=8, precision="fp32"),
        output=tmp_path / "head",
        log=lambda m: None,
    )
    before = load_file(str(tiny_base / "model.safetensors"))
    after = load_file(str(summary.path / "model.safetensors"))
    key = "encoder.layer.0.attention.self.query.weight"
    assert np.array_equal(before[key].numpy(), after["bert." + key].numpy())
    record = yaml.safe_load((summary.path / "headstart.yaml").read_text())
    assert record["parameters"]["trainable"] < record["parameters"]["total"] / 5


def test_seed_makes_runs_identical(tmp_path, tiny_base):
    from conftest import ASSETS

    def once(name):
        return train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv")), base=str(tiny_base), config=TrainConfig(method="full", epochs=2, batch_size=8, seed=5, precision="fp32", learning_rate=1e-3), output=tmp_path / name, log=lambda m: None)

    a, b = once("a"), once("b")
    assert a.metrics["validation"]["confusion_matrix"] == b.metrics["validation"]["confusion_matrix"]
    assert json.loads((a.path / "metrics.json").read_text())["history"][0]["train_loss"] == pytest.approx(json.loads((b.path / "metrics.json").read_text())["history"][0]["train_loss"], rel=1e-6)


def test_seeds_report_spread_and_keep_best(tmp_path, tiny_base):
    from conftest import ASSETS

    summary = train_run(
        DataSpec(train=str(ASSETS / "tiny_sentiment.csv")),
        base=str(tiny_base),
        config=TrainConfig(method="full", epochs=3, batch_size=8, learning_rate=3e-3, head_learning_rate=3e-3, precision="fp32", seed=10, seeds=3, patience=0),
        output=tmp_path / "seeds",
        log=lambda m: None,
    )
    seeds = json.loads((summary.path / "metrics.json").read_text())["seeds"]
    values = [run["validation"]["accuracy"] for run in seeds["runs"]]
    assert [run["seed"] for run in seeds["runs"]] == [10, 11, 12]
    assert seeds["summary"]["validation"]["accuracy"]["mean"] == pytest.approx(float(np.mean(values)))
    assert seeds["summary"]["validation"]["accuracy"]["std"] == pytest.approx(float(np.std(values, ddof=1)))
    record = yaml.safe_load((summary.path / "headstart.yaml").read_text())
    assert record["train"]["seed"] == seeds["kept_seed"]
    assert "Trained with 3 seeds" in (summary.path / "README.md").read_text()
