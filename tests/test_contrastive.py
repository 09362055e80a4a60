"""--method contrastive: class-grouped batches, the pair loss, the head written into the model, a full run."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest
import torch
import yaml

from headstart.api import predict_texts, train_run
from headstart.data.classification import DataSpec
from headstart.errors import ConfigError
from headstart.tasks.contrastive import contrastive_passes, pair_cosine_loss
from headstart.tasks.linear_probe import fit_head, install_head, sentence_embeddings
from headstart.training.config import TrainConfig
from headstart.training.sampling import class_grouped_batches


def test_batches_cover_every_example_once_with_positives_in_each_chunk():
    labels = [i % 5 for i in range(103)]
    batches = class_grouped_batches(labels, 16, seed=1)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(103))
    assert max(len(b) for b in batches) <= 16
    for batch in batches:
        counts = np.bincount([labels[i] for i in batch], minlength=5)
        assert set(counts[counts > 0]) <= set(range(2, 17)), counts  # no class appears alone
    assert class_grouped_batches(labels, 16, seed=1) == batches
    assert class_grouped_batches(labels, 16, seed=2) != batches


def test_batches_stay_linear_for_many_classes():
    # SetFit's pair list for 150 classes x 40 examples would hold ~18M negative pairs (setfit #628).
    labels = [i % 150 for i in range(6000)]
    start = time.perf_counter()
    batches = class_grouped_batches(labels, 32, seed=0)
    assert time.perf_counter() - start < 2.0
    assert sum(len(b) for b in batches) == 6000
    assert len(batches) <= 6000 // 32 + 2


def test_every_class_meets_most_others_as_negatives():
    """BANKING77 at 8 per class: over a run's 40 passes most class pairs share a batch at least once.

    A fixed nearest-neighbour class order (hard negatives) let each class meet only its few neighbours (under 10% of
    the pairs) and cost 8 points of accuracy; the pairs that never meet are never pushed apart.
    """
    labels = [c for c in range(77) for _ in range(8)]
    met = set()
    for p in range(40):
        for batch in class_grouped_batches(labels, 16, seed=p):
            classes = sorted({labels[i] for i in batch})
            met.update((a, b) for i, a in enumerate(classes) for b in classes[i + 1 :])
    assert len(met) / (77 * 76 / 2) > 0.5


def test_pair_loss_by_hand():
    labels = torch.tensor([0, 0, 1])
    perfect = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    assert float(pair_cosine_loss(perfect, labels)) == pytest.approx(0.0, abs=1e-7)
    # positives at cos 0 (error 1), negatives: (a,c) cos 1, (b,c) cos 0 -> mean error 0.5; loss = (1 + 0.5) / 2
    bad = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert float(pair_cosine_loss(bad, labels)) == pytest.approx(0.75, abs=1e-6)
    # pulled to cosine 0.5 instead: the perfect positives (cos 1) are now off by 0.5 -> (0.25 + 0) / 2
    assert float(pair_cosine_loss(perfect, labels, positive_target=0.5)) == pytest.approx(0.125, abs=1e-6)
    # negatives at cos -1 cost 1 each with SetFit's loss, nothing with the hinge; a negative at cos 1 costs 1 with both
    opposite = torch.tensor([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
    assert float(pair_cosine_loss(opposite, labels)) == pytest.approx(0.5, abs=1e-6)
    assert float(pair_cosine_loss(opposite, labels, negative_hinge=True)) == pytest.approx(0.0, abs=1e-6)
    assert float(pair_cosine_loss(bad, labels, negative_hinge=True)) == pytest.approx(0.75, abs=1e-6)
    # negatives pulled to cosine -1 instead of 0: opposite is now perfect, and perfect's orthogonal negatives cost 1 each
    assert float(pair_cosine_loss(opposite, labels, negative_target=-1.0)) == pytest.approx(0.0, abs=1e-6)
    assert float(pair_cosine_loss(perfect, labels, negative_target=-1.0)) == pytest.approx(0.5, abs=1e-6)
    # hard pairs: negatives at cos 1 (error 1) and 0 (error 0) weigh 3:1 at beta = ln 3, so their mean error is 3/4
    assert float(pair_cosine_loss(bad, labels, hard_pairs=math.log(3))) == pytest.approx((1 + 0.75) / 2, abs=1e-6)
    single = torch.tensor([[1.0, 2.0]], requires_grad=True)
    loss = pair_cosine_loss(single, torch.tensor([0]))
    assert float(loss.detach()) == 0.0 and loss.requires_grad


def test_fitted_head_inside_the_model_reproduces_the_regression(tiny_base):
    from headstart.catalog.resolve import resolve_base
    from headstart.models.classifier import build_classifier
    from headstart.models.loading import load_tokenizer

    base = resolve_base(str(tiny_base))
    model = build_classifier(base, ["a", "b", "c"], pooling="mean").eval()
    tokenizer = load_tokenizer(base)
    batch = dict(tokenizer(["the film was great", "so boring", "a movie", "terrible acting", "it was fine", "really good"], padding=True, return_tensors="pt"))
    with torch.no_grad():
        features = sentence_embeddings(model, batch).numpy()
    labels = np.array([0, 1, 2, 1, 2, 0])
    weight, bias, scale = fit_head(features, labels, 3, seed=0)
    install_head(model, weight, bias, scale)
    with torch.no_grad():
        logits = model(**batch).logits.numpy()
    np.testing.assert_allclose(logits, features * scale @ weight.T + bias, rtol=1e-3, atol=1e-3)


def test_binary_head_and_unseen_class():
    features = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    weight, bias, scale = fit_head(features, np.array([0, 0, 2, 2]), 3, seed=0)
    logits = features * scale @ weight.T + bias
    assert list(logits.argmax(1)) == [0, 0, 2, 2]
    assert bias[1] < -1e3  # class 1 never seen in training: never predicted


@pytest.fixture(scope="module")
def contrastive_run(tmp_path_factory, tiny_base):
    from conftest import ASSETS

    out = tmp_path_factory.mktemp("runs") / "contrastive"
    config = TrainConfig(method="contrastive", contrastive_passes=30, learning_rate=1e-3, batch_size=16, precision="fp32", seed=0)
    spec = DataSpec(train=str(ASSETS / "tiny_sentiment.csv"), test=str(ASSETS / "tiny_sentiment.csv"), validation_fraction=0.25)
    return train_run(spec, base=str(tiny_base), config=config, output=out, log=lambda m: None)


def test_contrastive_run_is_a_plain_classifier_that_reloads(contrastive_run):
    from transformers import AutoModelForSequenceClassification

    record = yaml.safe_load((contrastive_run.path / "headstart.yaml").read_text())
    assert record["train"]["method"] == "contrastive"
    assert record["train"]["learning_rate"] == 1e-3
    assert "method_choice" not in record["train"]  # chosen explicitly, not by auto
    card = (contrastive_run.path / "README.md").read_text()
    assert "contrastively" in card
    stage = record["stages"]["contrastive"]  # what the stage did, for the card: passes, and whether deletion ran
    assert (stage["passes"], stage["token_deletion"]["on"]) == (30, False)
    assert stage["examples"] == sum(record["data"]["label_counts"]["train"].values())
    assert f"Contrastive stage: 30 passes over {stage['examples']} labeled examples; word-piece deletion off: the median class has 22 labeled examples, more than 16." in card
    assert "Stages after contrastive training" not in card  # no end-to-end or self-training stage ran
    texts = ["the film was delightful", "terrible boring story", "a movie"]
    predictions = predict_texts(contrastive_run.path, texts)
    model = AutoModelForSequenceClassification.from_pretrained(contrastive_run.path).eval()
    tokens = __import__("transformers").AutoTokenizer.from_pretrained(contrastive_run.path)(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        probs = model(**tokens).logits.softmax(-1).numpy()
    np.testing.assert_allclose([[p["probabilities"][n] for n in ("negative", "positive")] for p in predictions], probs, atol=1e-4)
    history = json.loads((contrastive_run.path / "metrics.json").read_text())["history"]
    assert len(history) == 2  # the 30 passes are scored twice (EVALUATIONS)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    # A 32-wide random encoder is a weak few-shot learner, but it must beat chance (0.5) on the whole file.
    assert contrastive_run.metrics["test"]["accuracy"] >= 0.6


def test_contrastive_rejects_multilabel(tmp_path, tiny_base):
    path = tmp_path / "ml.csv"
    path.write_text("text,label\n" + "\n".join(f"good film {i},pos|fun" for i in range(10)) + "\n" + "\n".join(f"bad film {i},neg" for i in range(10)) + "\n")
    with pytest.raises(ConfigError, match="single-label"):
        train_run(DataSpec(train=str(path), multi_label=True), base=str(tiny_base), config=TrainConfig(method="contrastive", precision="fp32"), output=tmp_path / "run", log=lambda m: None)


def test_contrastive_budget_follows_the_examples_per_class():
    """40 passes at 8 per class (320 texts a class), at least 32 with more (16 with two classes); the median class sets
    it; the option wins."""
    per_class = lambda n, classes=2: [c for c in range(classes) for _ in range(n)]
    assert contrastive_passes(per_class(8), TrainConfig()) == 40
    assert contrastive_passes(per_class(4, 5), TrainConfig()) == 80
    assert contrastive_passes(per_class(64, 6), TrainConfig()) == 32
    assert contrastive_passes(per_class(64), TrainConfig()) == 16  # two classes: every batch holds both
    assert contrastive_passes(per_class(32), TrainConfig()) == 16
    assert contrastive_passes(per_class(16), TrainConfig()) == 20  # 320 texts a class still sets it below 20 per class
    assert contrastive_passes(per_class(64, 3) + [3, 3], TrainConfig()) == 32  # one rare class does not set the budget
    assert contrastive_passes(per_class(8), TrainConfig(contrastive_passes=3)) == 3


def test_contrastive_passes_validated():
    with pytest.raises(ConfigError, match="--contrastive-passes"):
        TrainConfig(contrastive_passes=0).validate()
