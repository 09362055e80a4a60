"""LoRA: few trainable parameters, the head survives save/reload (peft #310/#577), merge gives a plain model."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from conftest import ASSETS
from headstart.api import predict_texts, train_run
from headstart.cli.main import main
from headstart.data.classification import DataSpec
from headstart.training.config import TrainConfig

TEXTS = ["the movie was great", "awful acting and a boring plot", "a lovely story"]


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, tiny_base):
    out = tmp_path_factory.mktemp("lora") / "run"
    config = TrainConfig(method="lora", epochs=20, learning_rate=1e-2, head_learning_rate=1e-2, batch_size=8, patience=0, precision="fp32", lora_r=4, seed=1)
    return train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv")), base=str(tiny_base), config=config, output=out, log=lambda m: None)


def test_lora_run_saves_adapter_and_head(lora_run):
    files = {p.name for p in lora_run.path.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors"} <= files
    assert "model.safetensors" not in files
    from safetensors.torch import load_file

    keys = load_file(str(lora_run.path / "adapter_model.safetensors")).keys()
    assert any("classifier" in k for k in keys), "the new head must be saved with the adapter"
    record = yaml.safe_load((lora_run.path / "headstart.yaml").read_text())
    assert record["parameters"]["trainable"] < 0.2 * record["parameters"]["total"]


def test_lora_reload_reproduces_validation_accuracy(lora_run):
    from headstart.api import evaluate_run

    # Reloading with a random head would land near 0.5; the saved head reproduces the run's own score.
    metrics = evaluate_run(lora_run.path, ASSETS / "tiny_sentiment.csv")
    assert metrics["accuracy"] >= 0.75
    assert lora_run.metrics["validation"]["accuracy"] >= 0.75


def test_merge_gives_plain_model_with_same_predictions(lora_run, tmp_path, capsys):
    from transformers import pipeline

    out = tmp_path / "merged"
    assert main(["merge", str(lora_run.path), "--output", str(out)]) == 0
    plain = pipeline("text-classification", model=str(out), device="cpu")(TEXTS)
    ours = predict_texts(lora_run.path, TEXTS)
    assert [p["label"] for p in plain] == [o["label"] for o in ours]
    assert np.allclose([p["score"] for p in plain], [o["score"] for o in ours], atol=1e-4)


def test_merge_refuses_plain_runs(tmp_path, capsys, lora_run):
    assert main(["merge", str(tmp_path)]) == 2
    assert "not a --method lora run" in capsys.readouterr().err


def test_lora_adapters_train_at_the_encoder_rate_and_the_head_at_the_head_rate(tiny_base):
    """peft prefixes every name with 'base_model.model.': the adapters must still count as encoder layers."""
    from transformers import AutoModelForSequenceClassification

    from headstart.models.classifier import parameter_groups
    from headstart.models.lora import apply_lora

    model = apply_lora(AutoModelForSequenceClassification.from_pretrained(tiny_base, num_labels=2), r=4, alpha=8, dropout=0.0)
    groups = parameter_groups(model, "lora", lr=1e-3, head_lr=4e-3, weight_decay=0.0)
    names = {id(p): n for n, p in model.named_parameters()}
    rate = {names[id(p)]: group["lr"] for group in groups for p in group["params"]}
    adapters = [n for n in rate if "lora_" in n]
    head = [n for n in rate if "classifier" in n]
    assert adapters and head
    assert {rate[n] for n in adapters} == {1e-3}
    assert {rate[n] for n in head} == {4e-3}
    assert {g.get("layer") for g in groups if any("lora_" in names[id(p)] for p in g["params"])} == {"layer 0", "layer 1"}
