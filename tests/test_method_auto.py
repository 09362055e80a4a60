"""--method auto (the default): the choice by label budget and data, and where it is recorded."""

from __future__ import annotations

import pytest
import yaml

from headstart.api import train_run
from headstart.data.classification import ClassificationData, DataSpec, LabeledTexts
from headstart.tasks import method_choice
from headstart.tasks.method_choice import FEW_SHOT_PER_CLASS, SEPARATED, choose_method
from headstart.training.config import TrainConfig

APART, MIXED = (lambda: 0.9), (lambda: 0.3)


def never() -> float:
    raise AssertionError("the separability was measured although the choice did not need it")


def data_with(per_class: int, classes: int = 3, multi_label: bool = False) -> ClassificationData:
    labels = [f"c{c}" for c in range(classes) for _ in range(per_class)]
    split = LabeledTexts([f"text {i}" for i in range(len(labels))], labels, [str(i) for i in range(len(labels))])
    return ClassificationData(split, split, None, sorted(set(labels)), multi_label=multi_label)


def test_default_method_is_auto():
    assert TrainConfig().method == "auto"


def test_few_labels_on_classes_the_embedding_mixes_choose_contrastive():
    choice = choose_method(data_with(8), "bert", MIXED)
    assert choice["method"] == "contrastive" and choice["separability"] == 0.3
    assert "median 8 per class" in choice["reason"] and "24 training examples, 3 classes" in choice["reason"]
    assert f"separability 0.30 < {SEPARATED}" in choice["reason"]
    assert choose_method(data_with(FEW_SHOT_PER_CLASS), "bert", MIXED)["method"] == "contrastive"


def test_few_labels_on_classes_the_embedding_already_separates_choose_full_fine_tuning():
    choice = choose_method(data_with(8, classes=77), "bert", APART)
    assert choice["method"] == "full" and choice["separability"] == 0.9
    assert f"separability 0.90 >= {SEPARATED}" in choice["reason"]
    assert choose_method(data_with(8), "bert", lambda: SEPARATED)["method"] == "full"
    # The class count alone no longer decides: many classes the embedding mixes still get pairs.
    assert choose_method(data_with(8, classes=77), "bert", MIXED)["method"] == "contrastive"


def test_an_unmeasured_separability_keeps_contrastive_training():
    choice = choose_method(data_with(8), "bert")
    assert choice["method"] == "contrastive" and choice["separability"] is None and "separability not measured" in choice["reason"]


def test_enough_labels_choose_full_fine_tuning():
    choice = choose_method(data_with(FEW_SHOT_PER_CLASS + 1), "bert", never)
    assert choice["method"] == "full"
    assert f"median {FEW_SHOT_PER_CLASS + 1} per class" in choice["reason"]


def test_multilabel_and_unsupported_bases_fall_back_to_full():
    multi = choose_method(data_with(4, multi_label=True), "bert", never)
    assert multi["method"] == "full" and "multi-label" in multi["reason"]
    other = choose_method(data_with(4), "gpt2", never)
    assert other["method"] == "full" and "'gpt2'" in other["reason"]


def test_auto_choice_is_logged_recorded_and_carded(tmp_path, tiny_base, monkeypatch):
    from conftest import ASSETS

    # The random tiny base separates nothing reliably; a line above any score makes the choice contrastive
    # while the score is still measured and recorded.
    monkeypatch.setattr(method_choice, "SEPARATED", 2.0)
    lines: list[str] = []
    summary = train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv")), base=str(tiny_base), config=TrainConfig(epochs=1, precision="fp32"), output=tmp_path / "run", log=lines.append)
    record = yaml.safe_load((summary.path / "headstart.yaml").read_text())
    # 52 training rows, 26 per class: within the few-shot budget, so contrastive training.
    assert record["train"]["method"] == "contrastive"
    assert record["train"]["method_choice"]["method"] == "contrastive"
    assert "median 26 per class" in record["train"]["method_choice"]["reason"]
    assert -1.0 <= record["train"]["method_choice"]["separability"] <= 1.0
    assert any(line.startswith("method auto: measuring how well the pre-trained embedding separates the 2 classes") for line in lines)
    assert any(line.startswith("method auto -> contrastive:") for line in lines)
    card = (summary.path / "README.md").read_text()
    assert "Method chosen by `--method auto`: 52 training examples" in card
