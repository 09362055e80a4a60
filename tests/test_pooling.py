"""The added mean-pooling layer computes LayerNorm(mean of tokens) at [CLS] and survives save/load."""

from __future__ import annotations

import torch

from headstart.catalog.resolve import resolve_base
from headstart.models.classifier import build_classifier
from headstart.models.loading import load_tokenizer
from headstart.models.pooling import add_mean_pooling_layer


def test_cls_output_is_layernormed_token_mean_ignoring_padding(tiny_base):
    base = resolve_base(str(tiny_base))
    tokenizer = load_tokenizer(base)
    model = build_classifier(base, ["a", "b"], pooling="cls").eval()
    batch = tokenizer(["the movie was great", "bad"], padding=True, return_tensors="pt")
    with torch.no_grad():
        before = model.bert(**batch).last_hidden_state
        add_mean_pooling_layer(model)
        after = model.bert(**batch).last_hidden_state[:, 0]
    mask = batch["attention_mask"].unsqueeze(-1).float()
    mean = (before * mask).sum(1) / mask.sum(1)
    expected = torch.nn.functional.layer_norm(mean, (mean.shape[-1],))
    # The [CLS] token's own vector enters with weight 1/VALUE_SCALE, hence the tolerance.
    assert torch.allclose(after, expected, atol=0.05)
    assert model.config.num_hidden_layers == 3


def test_mean_pooled_classifier_reloads_with_plain_transformers(tiny_base, tmp_path):
    from transformers import AutoModelForSequenceClassification

    base = resolve_base(str(tiny_base))
    tokenizer = load_tokenizer(base)
    model = build_classifier(base, ["a", "b"], pooling="mean").eval()
    model.save_pretrained(tmp_path)
    again = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    batch = tokenizer(["the film was awful"], return_tensors="pt")
    with torch.no_grad():
        assert torch.allclose(model(**batch).logits, again(**batch).logits, atol=1e-6)


def test_auto_pooling_is_cls_for_plain_bert(tiny_base):
    model = build_classifier(resolve_base(str(tiny_base)), ["a", "b"], pooling="auto")
    assert model.config.num_hidden_layers == 2


def test_exact_mean_pooling_turns_off_only_the_pooling_layers_dropout_and_restores_it(tiny_base):
    from headstart.models.pooling import exact_mean_pooling, mean_pooling_layer

    base = resolve_base(str(tiny_base))
    tokenizer = load_tokenizer(base)
    assert mean_pooling_layer(build_classifier(base, ["a", "b"], pooling="cls")) is None
    model = build_classifier(base, ["a", "b"], pooling="mean")
    layer = mean_pooling_layer(model)
    assert layer is model.bert.encoder.layer[-1]
    model.eval()
    layer.train()  # only the pooling layer drops out, so any difference between passes is its dropout
    batch = tokenizer(["the movie was great and long", "bad"], padding=True, return_tensors="pt")
    with torch.no_grad():
        noisy = [model.bert(**batch).last_hidden_state[:, 0] for _ in range(2)]
        with exact_mean_pooling(model):
            exact = [model.bert(**batch).last_hidden_state[:, 0] for _ in range(2)]
            assert all(m.p == 0.0 for m in layer.modules() if isinstance(m, torch.nn.Dropout))
        model.eval()
        reference = model.bert(**batch).last_hidden_state[:, 0]
    assert not torch.allclose(noisy[0], noisy[1])
    assert torch.allclose(exact[0], exact[1]) and torch.allclose(exact[0], reference, atol=1e-6)
    assert all(m.p > 0 for m in layer.modules() if isinstance(m, torch.nn.Dropout))
