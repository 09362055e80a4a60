"""Best-epoch choice and early stopping when a small validation set ties: the tie-breaker score decides."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import ASSETS
from headstart.api import train_run
from headstart.data.classification import DataSpec
from headstart.evaluation.metrics import logit_loss
from headstart.training.config import TrainConfig
from headstart.training.loop import EpochBatches, LoopConfig, fit, make_accelerator


def scripted_fit(scores: list[dict], tie_breaker: str | None) -> tuple:
    """fit() on a one-parameter model whose evaluations come from ``scores`` in order; returns (result, logs)."""
    weight = torch.nn.Parameter(torch.zeros(1))
    model = torch.nn.Module()
    model.weight = weight
    pending = iter(scores)
    logs: list[str] = []
    result = fit(
        model,
        n_examples=1,
        batches=EpochBatches(lambda epoch: [[0]]),
        collate=lambda idx: {"input_ids": torch.zeros(1, 1), "attention_mask": torch.ones(1, 1)},
        step=lambda m, batch: (m.weight**2).sum() + 1.0,
        evaluate=lambda m: next(pending),
        param_groups=[{"params": [weight], "lr": 0.1, "weight_decay": 0.0}],
        config=LoopConfig(epochs=len(scores), warmup_ratio=0.0, max_grad_norm=0.0, patience=2, metric="accuracy", tie_breaker=tie_breaker),
        accelerator=make_accelerator("no"),
        log=logs.append,
    )
    return result, logs


# Twelve validation texts: accuracy moves in steps of 1/12 and ties for three epochs while the loss still falls.
TIED = [{"accuracy": 0.5, "loss": 1.0}, {"accuracy": 0.5, "loss": 0.8}, {"accuracy": 0.5, "loss": 0.6}, {"accuracy": 0.5, "loss": 0.7}, {"accuracy": 0.5, "loss": 0.9}, {"accuracy": 0.9, "loss": 0.2}]


def test_without_a_tie_breaker_a_tie_counts_as_no_improvement():
    result, _ = scripted_fit(TIED, None)
    assert (result.best_epoch, result.epochs_run, result.stopped_early) == (1, 3, True)
    assert result.best_tie_breaker is None


def test_lower_loss_wins_a_tie_and_resets_patience():
    result, logs = scripted_fit(TIED, "loss")
    # Epochs 2 and 3 win their ties on loss; 4 and 5 do not, so patience 2 stops after epoch 5.
    assert (result.best_epoch, result.epochs_run, result.stopped_early) == (3, 5, True)
    assert result.best_tie_breaker == 0.6 and result.best_metric == 0.5
    assert "validation accuracy 0.5000, loss 0.6000" in logs[2]


def test_a_higher_metric_wins_whatever_its_loss():
    scores = [{"accuracy": 0.5, "loss": 0.1}, {"accuracy": 0.6, "loss": 3.0}, {"accuracy": 0.6, "loss": 3.5}]
    result, _ = scripted_fit(scores, "loss")
    assert (result.best_epoch, result.best_metric, result.best_tie_breaker) == (2, 0.6, 3.0)


def test_logit_loss_matches_torch():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(7, 3)) * 5
    truth = rng.integers(0, 3, size=7)
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(truth)).item()
    assert logit_loss(truth, logits, multi_label=False) == pytest.approx(expected, rel=1e-9)
    hot = rng.integers(0, 2, size=(7, 3))
    expected = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(logits), torch.tensor(hot, dtype=torch.float64)).item()
    assert logit_loss(hot, logits, multi_label=True) == pytest.approx(expected, rel=1e-9)


def test_classification_runs_record_validation_loss_each_epoch(tiny_base, tmp_path):
    config = TrainConfig(method="full", epochs=2, batch_size=8, max_length=32, patience=0, precision="fp32")
    train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv")), base=str(tiny_base), config=config, output=tmp_path / "run", log=lambda m: None)
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]
    assert len(history) == 2 and all(np.isfinite(h["val_loss"]) and h["val_loss"] > 0 for h in history)


def test_training_without_validation_examples_says_what_to_do(tiny_base):
    from headstart.catalog.resolve import resolve_base
    from headstart.data.classification import ClassificationData, LabeledTexts
    from headstart.errors import DataError
    from headstart.tasks.classification import train_classifier

    train = LabeledTexts(["good film", "bad film"], ["pos", "neg"], ["a:1", "a:2"])
    data = ClassificationData(train, train.subset([], "validation"), None, ["neg", "pos"])
    with pytest.raises(DataError, match="no validation examples.*--validation-fraction"):
        train_classifier(data, resolve_base(str(tiny_base)), TrainConfig(method="full"), log=lambda m: None)
