"""Beyond SetFit: the end-to-end stage after the contrastive head, and self-training on --unlabeled texts."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
import yaml

from headstart.api import train_run
from headstart.data.classification import DataSpec, load_classification_data
from headstart.errors import ConfigError, DataError
from headstart.tasks.self_training import pseudo_label_cap, select_pseudo_labels
from headstart.training.config import TrainConfig

POSITIVE = ["amazing", "brilliant", "delightful", "excellent", "fantastic", "good", "great", "lovely", "superb", "wonderful"]
NEGATIVE = ["awful", "bad", "boring", "disappointing", "dreadful", "horrible", "nasty", "poor", "terrible", "ugly"]
FILLER = ["the", "film", "movie", "story", "plot", "acting", "was", "is", "really", "quite", "so", "very", "this", "it", "a"]


def review(rng: random.Random, words: list[str]) -> str:
    text = rng.sample(FILLER, 3) + [rng.choice(words)] + rng.sample(FILLER, 2)
    return " ".join(text)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Train / validation CSVs and an unlabeled .txt holding 3 validation texts, 2 train texts and 1 repeat."""
    folder = tmp_path_factory.mktemp("plus")
    rng = random.Random(0)
    rows = {name: [] for name in ("train", "validation")}
    seen: set[str] = set()
    for name, per_class in (("train", 12), ("validation", 10)):
        for label, words in (("positive", POSITIVE), ("negative", NEGATIVE)):
            while sum(1 for _, l in rows[name] if l == label) < per_class:
                text = review(rng, words)
                if text not in seen:
                    seen.add(text)
                    rows[name].append((text, label))
    for name, split in rows.items():
        (folder / f"{name}.csv").write_text("text,label\n" + "".join(f"{t},{l}\n" for t, l in split))
    fresh = []
    while len(fresh) < 40:
        text = review(rng, POSITIVE if len(fresh) % 2 else NEGATIVE)
        if text not in seen:
            seen.add(text)
            fresh.append(text)
    leaked = [rows["validation"][i][0] for i in (0, 5, 12)]
    labeled = [rows["train"][i][0] for i in (1, 2)]
    lines = fresh[:20] + [leaked[0].upper()] + leaked[1:] + labeled + [fresh[3]] + fresh[20:] + [""]
    (folder / "unlabeled.txt").write_text("\n".join(lines) + "\n")
    return folder, fresh


def test_pseudo_labels_by_threshold_and_per_class_cap():
    probabilities = np.array([[0.9, 0.1], [0.95, 0.05], [0.6, 0.4], [0.2, 0.8], [0.99, 0.01], [0.1, 0.9], [0.85, 0.15]])
    labels = np.array([0, 0, 1, 1])  # the median class has 2 examples -> cap = ratio * 2
    assert pseudo_label_cap(np.array([0, 0, 1, 1, 1, 2, 2, 2, 2]), 2) == 6  # counts 2, 3, 4: median 3
    assert pseudo_label_cap(labels, 1) == 2
    indices, pseudo = select_pseudo_labels(probabilities, labels, threshold=0.8, ratio=1)
    # class 0 has 4 confident texts (0.99, 0.95, 0.9, 0.85): the 2 most confident; class 1 has 2 (0.9, 0.8); 0.6 is below 0.8
    assert indices.tolist() == [1, 3, 4, 5]
    assert pseudo.tolist() == [0, 1, 0, 1]
    indices, _ = select_pseudo_labels(probabilities, labels, threshold=0.8, ratio=2)
    assert indices.tolist() == [0, 1, 3, 4, 5, 6]
    assert select_pseudo_labels(np.zeros((0, 2)), labels, 0.8, 1)[0].tolist() == []


def test_unlabeled_file_is_read_and_leakage_dropped_and_counted(files):
    folder, fresh = files
    spec = DataSpec(train=str(folder / "train.csv"), validation=str(folder / "validation.csv"), unlabeled=str(folder / "unlabeled.txt"))
    data = load_classification_data(spec)
    unlabeled = data.unlabeled
    assert unlabeled.texts == fresh
    assert unlabeled.counts() == {"read": 46, "usable": 40, "dropped_in_validation_or_test": 3, "dropped_in_train": 2, "dropped_repeated": 1}
    warnings = [issue.render() for issue in data.issues.warnings]
    assert any("3 of 46 unlabeled text(s) also appear in the validation or test data" in w for w in warnings), warnings


def test_unlabeled_table_column(tmp_path, files):
    folder, fresh = files
    path = tmp_path / "more.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(fresh[:5])))
    data = load_classification_data(DataSpec(train=str(folder / "train.csv"), validation=str(folder / "validation.csv"), unlabeled=str(path)))
    assert data.unlabeled.texts == fresh[:5]


def test_bad_unlabeled_files(tmp_path, files):
    folder, _ = files
    spec = lambda path: DataSpec(train=str(folder / "train.csv"), validation=str(folder / "validation.csv"), unlabeled=str(path))
    with pytest.raises(DataError, match=r"--unlabeled: .*missing\.txt: no such file.*one unlabeled text per line"):
        load_classification_data(spec(tmp_path / "missing.txt"))
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(DataError, match=r"--unlabeled: .*empty\.txt: the file is empty"):
        load_classification_data(spec(tmp_path / "empty.txt"))
    validation_texts = [line.split(",")[0] for line in (folder / "validation.csv").read_text().splitlines()[1:4]]
    (tmp_path / "leaky.txt").write_text("\n".join(validation_texts) + "\n")
    with pytest.raises(DataError, match=r"--unlabeled .*leaky\.txt: none of its 3 text\(s\) can be used \(3 also in validation/test"):
        load_classification_data(spec(tmp_path / "leaky.txt"))
    (tmp_path / "table.csv").write_text("id,score\n1,0.5\n2,0.7\n")
    with pytest.raises(DataError, match=r"--unlabeled: .*table\.csv: could not find the text column"):
        load_classification_data(spec(tmp_path / "table.csv"))


def test_unlabeled_needs_contrastive(tmp_path, files, tiny_base):
    folder, _ = files
    spec = DataSpec(train=str(folder / "train.csv"), validation=str(folder / "validation.csv"), unlabeled=str(folder / "unlabeled.txt"))
    with pytest.raises(ConfigError, match="--unlabeled texts are used by --method contrastive.*--method full"):
        train_run(spec, base=str(tiny_base), config=TrainConfig(method="full", epochs=1, precision="fp32"), output=tmp_path / "run", log=lambda m: None)


def test_new_options_validated():
    with pytest.raises(ConfigError) as err:
        TrainConfig(contrastive_end_to_end=-1, pseudo_label_threshold=1.5, pseudo_label_ratio=0).validate()
    for flag in ("--contrastive-end-to-end", "--pseudo-label-threshold", "--pseudo-label-ratio"):
        assert flag in str(err.value)
    with pytest.raises(ConfigError, match="--contrastive-end-to-end follows the contrastive stage; it does nothing with --method full"):
        TrainConfig(method="full", contrastive_end_to_end=2).validate()
    TrainConfig(method="auto", contrastive_end_to_end=2).validate()


def _installed_model(tiny_base):
    from headstart.catalog.resolve import resolve_base
    from headstart.models.classifier import build_classifier
    from headstart.models.loading import load_tokenizer
    from headstart.tasks.linear_probe import install_head
    from headstart.tasks.inference import encode_texts

    base = resolve_base(str(tiny_base))
    torch.manual_seed(0)
    model = build_classifier(base, ["negative", "positive"], pooling="cls")
    rng = np.random.default_rng(0)
    install_head(model, rng.normal(size=(2, 32)), np.zeros(2), 1.0)
    encoded, _ = encode_texts(load_tokenizer(base), ["so good", "really bad", "great film", "awful plot"] * 4, 16)
    encoded.labels = [1, 0, 1, 0] * 4
    return model, encoded


@pytest.mark.parametrize("scores, kept", [([0.5, 0.6, 0.7], True), ([0.5, 0.5, 0.4], False)])
def test_end_to_end_stage_keeps_only_a_better_model(tiny_base, scores, kept):
    from headstart.tasks.end_to_end import end_to_end_stage

    model, encoded = _installed_model(tiny_base)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    calls = iter(scores)
    config = TrainConfig(method="contrastive", contrastive_end_to_end=2, batch_size=8, learning_rate=1e-3, precision="fp32", patience=0)
    outcome = end_to_end_stage(model, encoded, 0, lambda m: {"accuracy": next(calls)}, config, "no", log=lambda m: None)
    assert outcome.baseline == 0.5 and outcome.kept is kept and outcome.loop.epochs_run == 2
    after = model.state_dict()
    encoder = [k for k in before if k.startswith("bert.encoder.")]
    changed = [k for k in encoder if not torch.equal(before[k], after[k])]
    if kept:  # the best epoch (the 2nd) is in the model: encoder and head moved, the near-identity pooler did not
        assert len(changed) == len(encoder)
        assert not torch.equal(before["classifier.weight"], after["classifier.weight"])
    else:  # no epoch beat the baseline: every weight is back to what it was
        assert changed == [] and all(torch.equal(before[k], after[k]) for k in before)
    assert torch.equal(before["bert.pooler.dense.weight"], after["bert.pooler.dense.weight"])
    assert all(p.requires_grad for p in model.parameters())


@pytest.fixture(scope="module")
def plus_run(tmp_path_factory, files, tiny_base):
    folder, _ = files
    out = tmp_path_factory.mktemp("runs") / "plus"
    config = TrainConfig(method="contrastive", contrastive_passes=10, contrastive_end_to_end=2, learning_rate=1e-3, batch_size=16,
                         pseudo_label_threshold=0.5, pseudo_label_ratio=1, precision="fp32", seed=0)
    spec = DataSpec(train=str(folder / "train.csv"), validation=str(folder / "validation.csv"), test=str(folder / "validation.csv"), unlabeled=str(folder / "unlabeled.txt"))
    return train_run(spec, base=str(tiny_base), config=config, output=out, log=lambda m: None)


def test_run_records_stages_and_pseudo_labels(plus_run):
    record = yaml.safe_load((plus_run.path / "headstart.yaml").read_text())
    stages = record["stages"]
    e2e, st = stages["end_to_end"], stages["self_training"]
    assert record["train"]["contrastive_end_to_end"] == 2 and record["data"]["unlabeled"].endswith("unlabeled.txt")
    # The end-to-end stage is judged against the stage-2 model: the kept score is never below it.
    assert e2e["validation_best"] >= 0.0 and e2e["kept"] == (e2e["validation_best"] > e2e["validation_before"])
    assert st["validation_after"] >= st["validation_before"] or not st["kept"]
    assert (st["read"], st["usable"], st["dropped_in_validation_or_test"], st["dropped_in_train"], st["dropped_repeated"]) == (46, 40, 3, 2, 1)
    assert st["cap_per_class"] == 12 and 0 < st["pseudo_labels"] <= 24
    assert sum(st["per_class"].values()) == st["pseudo_labels"] and max(st["per_class"].values()) <= 12
    validation = plus_run.metrics["validation"]["accuracy"]
    assert validation == pytest.approx(record["result"]["best_metric"])
    kept_before = max(e2e["validation_best"], e2e["validation_before"])
    assert validation >= kept_before - 1e-9  # neither optional stage lowered validation
    history = json.loads((plus_run.path / "metrics.json").read_text())["history"]
    assert [h["stage"] for h in history][:2] == ["contrastive", "contrastive"]
    assert [h["epoch"] for h in history] == list(range(1, len(history) + 1))
    assert {"end_to_end", "self_training"} <= {h["stage"] for h in history}
    card = (plus_run.path / "README.md").read_text()
    assert f"{st['pseudo_labels']} pseudo-labeled with probability ≥ 0.5" in card
    assert "3 dropped as also in validation/test" in card


@pytest.mark.parametrize("scores, kept", [([0.5, 0.5], True), ([0.5, 0.45], False)])
def test_self_training_round_is_kept_unless_validation_drops(tiny_base, scores, kept):
    from headstart.catalog.resolve import resolve_base
    from headstart.data.unlabeled import UnlabeledTexts
    from headstart.models.loading import load_tokenizer
    from headstart.tasks.contrastive import ContrastiveSetup, self_train
    from headstart.training.loop import LoopResult

    model, encoded = _installed_model(tiny_base)
    tokenizer = load_tokenizer(resolve_base(str(tiny_base)))
    config = TrainConfig(method="contrastive", batch_size=8, learning_rate=1e-3, precision="fp32", pseudo_label_threshold=0.5, pseudo_label_ratio=1)
    setup = ContrastiveSetup(0, encoded, np.array(encoded.labels), ["negative", "positive"], config, "no", lambda m: None)
    calls = iter(scores)
    setup.score = lambda m: {"accuracy": next(calls)}  # before the round, after it
    before = {k: v.clone() for k, v in model.state_dict().items()}
    texts = ["good story", "bad acting", "great plot", "poor film", "lovely movie", "nasty story", "superb acting", "dreadful plot", "it was fine", "so so", "okay", "not good"]
    from headstart.tasks.inference import encode_texts, predict_logits

    predicted = predict_logits(model, encode_texts(tokenizer, texts, 16)[0], 0).argmax(-1)
    loop, summary = self_train(model, tokenizer, encoded, UnlabeledTexts("pool", texts, 14, in_evaluation=2), 2, setup, LoopResult())
    # 16 labeled, 8 per class: cap 8 per class; every text of a binary model reaches probability 0.5
    expected = {name: min(8, int((predicted == c).sum())) for c, name in enumerate(["negative", "positive"])}
    assert summary["cap_per_class"] == 8 and summary["per_class"] == expected and summary["pseudo_labels"] == sum(expected.values())
    assert summary["dropped_in_validation_or_test"] == 2 and summary["read"] == 14
    assert summary["kept"] is kept and summary["validation_after"] == scores[1]
    assert loop.history and {h["stage"] for h in loop.history} == {"self_training"}
    changed = [k for k in before if not torch.equal(before[k], model.state_dict()[k])]
    if kept:
        assert any(k.startswith("bert.encoder.") for k in changed) and "classifier.weight" in changed
    else:
        assert changed == []


def test_end_to_end_flag_needs_the_contrastive_stage(tmp_path, tiny_base, monkeypatch):
    # --method auto may choose full (here: the line is set so that any separability counts as separated); the flag
    # would then do nothing, so it is refused, not ignored.
    from headstart.tasks import method_choice

    monkeypatch.setattr(method_choice, "SEPARATED", -2.0)
    classes = 4
    (tmp_path / "many.csv").write_text("text,label\n" + "".join(f"text {c} number {i},c{c}\n" for c in range(classes) for i in range(3)))
    spec = DataSpec(train=str(tmp_path / "many.csv"), validation=str(tmp_path / "many.csv"))
    with pytest.raises(ConfigError, match="--contrastive-end-to-end follows the contrastive stage.*--method full"):
        train_run(spec, base=str(tiny_base), config=TrainConfig(method="auto", contrastive_end_to_end=2, epochs=1, precision="fp32"), output=tmp_path / "run", log=lambda m: None)
    assert not (tmp_path / "run").exists()
