"""--label-words: prompt-based fine-tuning of a decoder classifier that stays a plain transformers model."""

from __future__ import annotations

import random

import pytest
import torch

from generation_support import build_tiny_decoder, word_tokenizer
from headstart.api import predict_texts, train_run
from headstart.catalog.resolve import resolve_base
from headstart.data.classification import DataSpec
from headstart.errors import ConfigError
from headstart.models.classifier import build_classifier
from headstart.models.loading import load_tokenizer
from headstart.models.verbalizer import init_head_from_label_words, label_words_for, wrap_in_template
from headstart.training.config import TrainConfig

TEMPLATE = "text : {input} label :"
WORDS = "positive=good,negative=bad"


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    return build_tiny_decoder(tmp_path_factory.mktemp("decoder"))


@pytest.fixture()
def sentiment_csv(tmp_path):
    rng = random.Random(0)
    good, bad = ["great", "fun", "happy", "good"], ["boring", "awful", "sad", "bad"]
    rows = ["text,label"]
    for i in range(40):
        label, pool = ("positive", good) if i % 2 else ("negative", bad)
        rows.append(f"the {rng.choice(['movie', 'film', 'plot'])} was {rng.choice(pool)} and {rng.choice(pool)},{label}")
    path = tmp_path / "sentiment.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_tokenizer_wraps_every_text_in_the_template(decoder, tmp_path):
    tokenizer = load_tokenizer(resolve_base(str(decoder), False))
    wrap_in_template(tokenizer, TEMPLATE)
    ids = tokenizer("the cat sat").input_ids
    assert tokenizer.convert_ids_to_tokens(ids) == ["text", ":", "the", "cat", "sat", "label", ":"]
    tokenizer.save_pretrained(tmp_path / "tok")
    from transformers import AutoTokenizer

    assert AutoTokenizer.from_pretrained(tmp_path / "tok")("the cat sat").input_ids == ids


def test_head_starts_as_the_language_models_prompt_classifier(decoder):
    """At step 0 the classifier's logits are the causal LM's next-word scores of the label words after the prompt."""
    from transformers import AutoModelForCausalLM

    base = resolve_base(str(decoder), False)
    tokenizer = load_tokenizer(base)
    model = build_classifier(base, ["negative", "positive"]).eval()
    model.config.pad_token_id = tokenizer.pad_token_id
    wrap_in_template(tokenizer, TEMPLATE)
    token_ids = init_head_from_label_words(model, base, tokenizer, label_words_for(["negative", "positive"], WORDS))
    assert tokenizer.convert_ids_to_tokens(token_ids) == ["bad", "good"]
    lm = AutoModelForCausalLM.from_pretrained(decoder).eval()
    plain = word_tokenizer()
    with torch.no_grad():
        ours = model(**tokenizer(["the movie was fun"], return_tensors="pt")).logits[0]
        prompt = plain("text : the movie was fun label :", return_tensors="pt")
        reference = lm(**prompt).logits[0, -1, token_ids]
    torch.testing.assert_close(ours, reference, rtol=1e-4, atol=1e-5)


def test_run_predicts_like_plain_transformers_pipeline(decoder, sentiment_csv, tmp_path):
    from transformers import pipeline

    config = TrainConfig(method="full", epochs=2, batch_size=8, learning_rate=1e-3, label_words=WORDS, prompt_template=TEMPLATE, precision="fp32", patience=0)
    summary = train_run(DataSpec(train=str(sentiment_csv)), str(decoder), config, tmp_path / "run", log=lambda m: None)
    texts = ["the film was great and fun", "the plot was awful and sad"]
    ours = predict_texts(summary.path, texts)
    theirs = pipeline("text-classification", model=str(summary.path), top_k=None)(texts)
    for mine, plain in zip(ours, theirs):
        best = max(plain, key=lambda row: row["score"])
        assert mine["label"] == best["label"]
        assert mine["probabilities"][best["label"]] == pytest.approx(best["score"], abs=1e-5)
    from transformers import AutoTokenizer

    saved = AutoTokenizer.from_pretrained(summary.path)
    assert saved.convert_ids_to_tokens(saved("the film").input_ids) == ["text", ":", "the", "film", "label", ":"]
    record = (summary.path / "headstart.yaml").read_text()
    assert "label_words: positive=good,negative=bad" in record


def test_label_words_must_cover_every_label():
    with pytest.raises(ConfigError, match=r"missing \['neutral'\]; not labels of the data \['other'\]"):
        label_words_for(["negative", "neutral", "positive"], "negative=bad,positive=good,other=fun")


def test_label_words_need_a_decoder_head(tiny_base, sentiment_csv, tmp_path):
    config = TrainConfig(method="full", epochs=1, label_words=WORDS, precision="fp32")
    with pytest.raises(ConfigError, match="prompt-based fine-tuning of a decoder"):
        train_run(DataSpec(train=str(sentiment_csv)), str(tiny_base), config, tmp_path / "run", log=lambda m: None)
    assert not (tmp_path / "run").exists()


def test_label_words_sharing_a_first_token_are_refused(decoder):
    base = resolve_base(str(decoder), False)
    tokenizer = load_tokenizer(base)
    model = build_classifier(base, ["negative", "positive"])
    with pytest.raises(ConfigError, match="start with the same token"):
        init_head_from_label_words(model, base, tokenizer, ["good", "good"])


def test_label_words_refused_with_contrastive_and_bad_template():
    with pytest.raises(ConfigError, match="--label-words .* use --method full or lora, not contrastive"):
        TrainConfig(method="contrastive", label_words=WORDS).validate()
    with pytest.raises(ConfigError, match=r"must contain \{input\} exactly once"):
        from headstart.models.verbalizer import split_template

        split_template("no slot here")


def test_gguf_classifier_keeps_its_class_and_weights_and_saves(decoder, tmp_path):
    """A GGUF base (smollm2-135m) loads with a quantization_config that makes save_pretrained refuse the model."""
    from transformers import AutoModelForSequenceClassification

    from headstart.models.loading import without_gguf

    model = AutoModelForSequenceClassification.from_pretrained(decoder, num_labels=2)
    model.config.quantization_config = {"quant_method": "gguf"}
    clean = without_gguf(model)
    assert type(clean) is type(model) and getattr(clean.config, "quantization_config", None) is None
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), clean.state_dict().values()))
    clean.save_pretrained(tmp_path / "saved")
    assert (tmp_path / "saved" / "model.safetensors").is_file()
