"""Gradual unfreezing (--gradual-unfreeze): the head trains first, then encoder layers join top-down, bit-exactly frozen until then."""

from __future__ import annotations

import pytest
import torch
import yaml

from conftest import ASSETS
from unfreeze_support import tiny_classifier
from headstart.cli.main import main
from headstart.errors import ConfigError
from headstart.models.classifier import parameter_groups
from headstart.training.config import TrainConfig
from headstart.training.loop import EpochBatches, LoopConfig, fit, make_accelerator
from headstart.training.unfreeze import GradualUnfreezing

GROUPS = {"layer 1": "bert.encoder.layer.1.", "layer 0": "bert.encoder.layer.0.", "embeddings": "bert.embeddings."}
"""The tiny BERT's layer groups, top first, by parameter-name prefix."""


def changed(before: dict, after: dict, prefix: str) -> bool:
    names = [k for k in before if k.startswith(prefix)]
    assert names, prefix
    return any(not torch.equal(before[k], after[k]) for k in names)


@pytest.fixture(scope="module")
def unfrozen_run(tiny_base):
    """Four epochs with --gradual-unfreeze 1 on a 2-layer BERT: head; + layer 1; + layer 0; + embeddings."""
    model = tiny_classifier(tiny_base)
    start = {k: v.detach().clone() for k, v in model.state_dict().items()}
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(5, 58, (8, 6), generator=generator)
    labels = torch.tensor([0, 1] * 4)
    snapshots, trainable, logs, adam_steps = [], [], [], {}

    def evaluate(current):
        snapshots.append({k: v.detach().clone() for k, v in current.state_dict().items()})
        trainable.append({name for name, p in current.named_parameters() if p.requires_grad})
        return {"score": float(len(snapshots))}

    def after_step(state):
        optimizer = getattr(state.optimizer, "optimizer", state.optimizer)
        adam_steps.update({name: int(optimizer.state[p]["step"]) for name, p in state.model.named_parameters() if p in optimizer.state})

    fit(
        model,
        n_examples=8,
        batches=EpochBatches(lambda epoch: [[0, 1, 2, 3], [4, 5, 6, 7]]),
        collate=lambda idx: {"input_ids": input_ids[idx], "attention_mask": torch.ones_like(input_ids[idx]), "labels": labels[idx]},
        step=lambda m, batch: m(**batch).loss,
        evaluate=evaluate,
        param_groups=parameter_groups(model, "full", 1e-2, 1e-2, weight_decay=0.1),
        config=LoopConfig(epochs=4, warmup_ratio=0.0, max_grad_norm=1.0, patience=1, metric="score", unfreeze_every=1),
        accelerator=make_accelerator("no"),
        log=logs.append,
        keep_best=False,
        after_step=after_step,
    )
    return {"model": model, "start": start, "snapshots": snapshots, "trainable": trainable, "logs": logs, "adam_steps": adam_steps}


def test_epoch_one_trains_only_the_head_and_lower_layers_stay_bit_identical(unfrozen_run):
    start, first = unfrozen_run["start"], unfrozen_run["snapshots"][0]
    assert changed(start, first, "classifier.") and changed(start, first, "bert.pooler.")
    for prefix in GROUPS.values():
        assert not changed(start, first, prefix), f"{prefix} moved while frozen (weight decay or a stray gradient)"
    # requires_grad off: autograd computed nothing for the frozen encoder.
    assert unfrozen_run["trainable"][0] == {"classifier.weight", "classifier.bias", "bert.pooler.dense.weight", "bert.pooler.dense.bias"}


def test_layers_join_top_down_one_per_epoch_and_all_train_by_the_last(unfrozen_run):
    start, snapshots = unfrozen_run["start"], unfrozen_run["snapshots"]
    order = list(GROUPS.values())
    for epoch, snapshot in enumerate(snapshots, start=1):
        previous = snapshots[epoch - 2] if epoch > 1 else start
        for index, prefix in enumerate(order):
            assert changed(previous, snapshot, prefix) == (index < epoch - 1), (epoch, prefix)
    assert all(changed(start, snapshots[-1], prefix) for prefix in order)
    assert [m for m in unfrozen_run["logs"] if "unfreezing" in m and m.startswith("epoch")] == ["epoch 2: unfreezing layer 1", "epoch 3: unfreezing layer 0", "epoch 4: unfreezing embeddings"]
    assert all(p.requires_grad for p in unfrozen_run["model"].parameters()), "fit hands the model back with every parameter trainable"


def test_adam_state_starts_when_a_group_joins(unfrozen_run):
    steps = unfrozen_run["adam_steps"]
    # Two optimizer steps per epoch: the head took all 8; layer 1 joined for epochs 2-4, the embeddings for epoch 4 only.
    assert steps["classifier.weight"] == 8
    assert steps["bert.encoder.layer.1.output.dense.weight"] == 6
    assert steps["bert.encoder.layer.0.output.dense.weight"] == 4
    assert steps["bert.embeddings.word_embeddings.weight"] == 2


def test_patience_waits_until_every_layer_trains(tiny_base):
    model = tiny_classifier(tiny_base)
    groups = parameter_groups(model, "full", 1e-3, 1e-3, 0.0)
    batch = {"input_ids": torch.tensor([[5, 6, 7]]), "attention_mask": torch.ones(1, 3, dtype=torch.long), "labels": torch.tensor([1])}
    logs = []
    result = fit(
        model,
        n_examples=1,
        batches=EpochBatches(lambda epoch: [[0]]),
        collate=lambda idx: batch,
        step=lambda m, b: m(**b).loss,
        evaluate=lambda m: {"score": 0.0},  # never improves after epoch 1
        param_groups=groups,
        config=LoopConfig(epochs=6, warmup_ratio=0.0, max_grad_norm=0.0, patience=1, metric="score", unfreeze_every=1),
        accelerator=make_accelerator("no"),
        log=logs.append,
    )
    # Groups join in epochs 2, 3, 4; the first epoch with every layer training (4) is the one that may stop.
    assert result.stopped_early and result.epochs_run == 4
    assert "epoch 4: unfreezing embeddings" in logs


def test_lora_unfreezes_adapters_layer_by_layer(tiny_base):
    from headstart.models.lora import apply_lora

    model = apply_lora(tiny_classifier(tiny_base), 4, 8, 0.0)
    unfreezing = GradualUnfreezing(parameter_groups(model, "lora", 1e-3, 1e-3, 0.0), every=2)
    assert [layer.name for layer in unfreezing.layers] == ["layer 1", "layer 0"]  # the embeddings hold no adapter
    assert all("lora_" in name for name, p in model.named_parameters() if any(p is q for layer in unfreezing.layers for q in layer.params))
    assert unfreezing.apply(1) == [] and unfreezing.apply(3) == ["layer 1"] and unfreezing.apply(5) == ["layer 0"]
    assert unfreezing.all_train_from() == 5
    unfreezing.apply(1)
    assert not any(p.requires_grad for layer in unfreezing.layers for p in layer.params)


def test_token_tagger_has_the_same_layer_groups(tiny_base):
    from transformers import AutoModelForTokenClassification

    tagger = AutoModelForTokenClassification.from_pretrained(str(tiny_base), num_labels=3)
    groups = parameter_groups(tagger, "full", 1e-3, 1e-2, 0.0)
    assert [layer.name for layer in GradualUnfreezing(groups, every=1).layers] == list(GROUPS)
    assert {name for name, p in tagger.named_parameters() if not any(p is q for g in groups if "depth" in g for q in g["params"])} == {"classifier.weight", "classifier.bias"}


def test_plan_names_layers_the_epoch_budget_never_reaches(tiny_base):
    unfreezing = GradualUnfreezing(parameter_groups(tiny_classifier(tiny_base), "full", 1e-3, 1e-3, 0.0), every=1)
    assert unfreezing.plan(3).endswith("(layer 1, layer 0, embeddings); note: with --epochs 3, embeddings never train (every group trains from epoch 4)")
    assert "note" not in unfreezing.plan(4)


def test_groups_without_layer_names_are_refused():
    weight = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(ConfigError, match="--gradual-unfreeze needs optimizer groups that name their encoder layer"):
        GradualUnfreezing([{"params": [weight], "lr": 1e-3}], every=1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(gradual_unfreeze=-1), "--gradual-unfreeze must be 0 (off) or a number of epochs per layer; got -1."),
        (dict(gradual_unfreeze=1, method="head"), "--gradual-unfreeze needs an encoder that trains: use --method full or lora (got --method head"),
        (dict(gradual_unfreeze=1, method="contrastive"), "--gradual-unfreeze needs an encoder that trains: use --method full or lora (got --method contrastive"),
        (dict(gradual_unfreeze=4, epochs=4), "--gradual-unfreeze 4 with --epochs 4 would train only the head"),
    ],
)
def test_bad_values_name_the_flag(options, message):
    with pytest.raises(ConfigError) as err:
        TrainConfig(**options).validate()
    assert message in str(err.value)


def test_cli_flag_keeps_lower_layers_frozen_and_is_saved(tiny_base, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "--gradual-unfreeze" in capsys.readouterr().out
    out = tmp_path / "run"
    argv = ["train", str(ASSETS / "tiny_sentiment.csv"), "--base", str(tiny_base), "--output", str(out), "--method", "full", "--epochs", "2", "--gradual-unfreeze", "1"]
    assert main([*argv, "--patience", "0", "--precision", "fp32", "--batch-size", "16", "--learning-rate", "1e-2"]) == 0
    record = yaml.safe_load((out / "headstart.yaml").read_text())
    assert record["train"]["gradual_unfreeze"] == 1
    assert "epoch 2: unfreezing layer 1" in (out / "train.log").read_text()
    from safetensors.torch import load_file

    base, trained = load_file(str(tiny_base / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert torch.equal(base["embeddings.word_embeddings.weight"], trained["bert.embeddings.word_embeddings.weight"])
    assert torch.equal(base["encoder.layer.0.output.dense.weight"], trained["bert.encoder.layer.0.output.dense.weight"])
    # Whether layer 1 moved depends on which epoch validation kept; test_layers_join_top_down pins that.



def test_auto_choosing_contrastive_refuses_gradual_unfreezing(tiny_base, tmp_path, monkeypatch):
    from headstart.api import train_run
    from headstart.data.classification import DataSpec
    from headstart.tasks import method_choice

    monkeypatch.setattr(method_choice, "choose_method", lambda data, model_type, separability=None: {"method": "contrastive", "reason": "few-shot"})
    config = TrainConfig(method="auto", epochs=2, gradual_unfreeze=1)
    with pytest.raises(ConfigError, match="--method auto chose contrastive few-shot training for this data; pass --method full"):
        train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv")), base=str(tiny_base), config=config, output=tmp_path / "run", log=lambda m: None)
    assert not (tmp_path / "run").exists()
