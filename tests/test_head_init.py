"""--head-init probe: full fine-tuning starts from a logistic-regression head fitted on the pre-trained embeddings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from headstart.catalog.resolve import resolve_base
from headstart.data.classification import ClassificationData, LabeledTexts
from headstart.errors import ConfigError
from headstart.models.classifier import build_classifier
from headstart.models.loading import load_tokenizer
from headstart.tasks.classification import train_classifier
from headstart.tasks.inference import encode_texts
from headstart.tasks.linear_probe import POOLER_SCALE, embed, fit_head
from headstart.training.config import TrainConfig

TEXTS = ["the film was great", "so boring", "a fine movie", "terrible acting", "really good", "an awful plot", "great fun", "dull and slow"]
LABELS = ["pos", "neg", "pos", "neg", "pos", "neg", "pos", "neg"]


def tiny_data() -> ClassificationData:
    train = LabeledTexts(TEXTS, LABELS, [f"t:{i}" for i in range(len(TEXTS))])
    return ClassificationData(train, train.subset(list(range(len(TEXTS))), "validation"), None, ["neg", "pos"])


def probe_logits(base, texts: list[str]) -> np.ndarray:
    """What the head must start as: the regression fitted, independently here, on the pre-trained model's embeddings."""
    model = build_classifier(base, ["neg", "pos"], pooling="mean")
    tokenizer = load_tokenizer(base)
    train, _ = encode_texts(tokenizer, TEXTS, 32)
    weight, bias, scale = fit_head(embed(model, train, tokenizer.pad_token_id, 8, "no"), np.array([1 if label == "pos" else 0 for label in LABELS]), 2, seed=0)
    scored, _ = encode_texts(tokenizer, texts, 32)
    return embed(model, scored, tokenizer.pad_token_id, 8, "no") * scale @ weight.T + bias


def model_logits(trained, texts: list[str]) -> np.ndarray:
    batch = dict(trained.tokenizer(texts, padding=True, return_tensors="pt"))
    with torch.no_grad():
        return trained.model.eval()(**batch).logits.numpy()


def test_training_starts_from_the_fitted_probe(tiny_base):
    base = resolve_base(str(tiny_base))
    logs: list[str] = []
    # A learning rate too small to move anything: what comes out is what training started from.
    config = TrainConfig(method="full", head_init="probe", epochs=1, batch_size=4, learning_rate=1e-9, pooling="mean", precision="fp32", max_length=32, seed=0)
    trained = train_classifier(tiny_data(), base, config, log=logs.append)
    texts = ["a great film", "boring and awful", "fine"]
    np.testing.assert_allclose(model_logits(trained, texts), probe_logits(base, texts), rtol=1e-3, atol=1e-3)
    assert any("head-init probe" in line for line in logs)


def test_fine_tuning_moves_encoder_and_head_but_not_the_pooler(tiny_base):
    base = resolve_base(str(tiny_base))
    config = TrainConfig(method="full", head_init="probe", epochs=2, batch_size=4, learning_rate=1e-3, pooling="mean", precision="fp32", max_length=32, seed=0, patience=0)
    assert config.resolved_head_learning_rate() == config.resolved_learning_rate()  # the head starts fitted, not at random
    trained = train_classifier(tiny_data(), base, config, log=lambda m: None)
    fresh = build_classifier(base, ["neg", "pos"], pooling="mean").state_dict()
    after = trained.model.state_dict()
    assert torch.equal(after["bert.pooler.dense.weight"], torch.eye(32) * POOLER_SCALE)
    assert not torch.equal(fresh["bert.encoder.layer.0.attention.self.query.weight"], after["bert.encoder.layer.0.attention.self.query.weight"])
    assert not np.allclose(model_logits(trained, TEXTS), probe_logits(base, TEXTS), atol=1e-3)
    assert all(p.requires_grad for p in trained.model.parameters())  # the saved model trains again as a whole


@pytest.mark.parametrize("options, message", [
    ({"method": "contrastive", "head_init": "probe"}, "the contrastive method fits its own head"),
    ({"method": "lora", "head_init": "probe"}, "only --method full"),
    ({"method": "full", "head_init": "probe", "label_words": "neg=bad,pos=good"}, "pick one"),
    ({"method": "full", "head_init": "lasso"}, "--head-init must be one of random, probe; got 'lasso'"),
])
def test_bad_combinations_are_refused(options, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**options).validate()


def test_multi_label_data_is_refused(tiny_base):
    train = LabeledTexts(TEXTS, ["pos|neg"] + LABELS[1:], [f"t:{i}" for i in range(len(TEXTS))])
    data = ClassificationData(train, train.subset(list(range(len(TEXTS))), "validation"), None, ["neg", "pos"])
    data.multi_label = True
    with pytest.raises(ConfigError, match="single-label head on single-text embeddings; this data is multi-label"):
        train_classifier(data, resolve_base(str(tiny_base)), TrainConfig(method="full", head_init="probe", epochs=1), log=lambda m: None)


def test_a_curve_applies_it_to_full_fine_tuning_only():
    from headstart.curves import CurveConfig, method_config

    train = TrainConfig(head_init="probe")
    curve = CurveConfig()
    assert method_config("full", train, curve, 0).head_init == "probe"
    assert method_config("contrastive", train, curve, 0).head_init == "random"  # refused by a contrastive run of its own
    assert method_config("scratch", train, curve, 0).head_init == "random"


@pytest.mark.parametrize("separability, method, head_init", [(0.3, "contrastive", "random"), (0.9, "full", "probe")])
def test_auto_keeps_it_for_full_fine_tuning_and_drops_it_for_contrastive(tiny_base, monkeypatch, separability, method, head_init):
    from headstart.tasks import method_choice

    monkeypatch.setattr(method_choice, "pretrained_separability", lambda *args: separability)
    logs: list[str] = []
    config, choice = method_choice.resolve_method(TrainConfig(head_init="probe"), tiny_data(), resolve_base(str(tiny_base)), log=logs.append)
    assert (config.method, config.head_init, choice["method"]) == (method, head_init, method)
    config.validate()  # what the chosen method's own run checks first
    assert any("does not apply" in line for line in logs) == (method == "contrastive")
