"""In-context few-shot prompting: demonstration choice, label log-likelihood scoring, generation prompts, CLI."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from generation_support import build_tiny_decoder, build_tiny_t5, write_pairs
from headstart.catalog.resolve import resolve_base
from headstart.cli.main import main
from headstart.data.classification import LabeledTexts
from headstart.data.text2text import TextPairs
from headstart.errors import ConfigError
from headstart.tasks.prompting import PromptModel, candidate_log_likelihoods, demonstrations, load_prompt_model, prompt_classify, prompt_generate, select_per_class

QUIET = staticmethod(lambda message: None)


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    return build_tiny_decoder(tmp_path_factory.mktemp("tiny-decoder"))


@pytest.fixture(scope="module")
def prompt_model(decoder):
    return load_prompt_model(resolve_base(str(decoder)))


def test_select_per_class_takes_k_of_each_class_reproducibly():
    labels = ["a"] * 5 + ["b"] * 3 + ["c"]
    chosen = select_per_class(labels, 2, seed=3)
    assert sorted(labels[i] for i in chosen) == ["a", "a", "b", "b", "c"]
    assert chosen == select_per_class(labels, 2, seed=3) and len(set(chosen)) == 5


def test_demonstrations_render_template_and_answers(prompt_model):
    text = demonstrations(prompt_model.tokenizer, "Text: {input}\nLabel:", ["the cat sat on the mat", "a dog"], ["good", "bad"], 3)
    assert text == "Text: the cat sat\nLabel: good\n\nText: a dog\nLabel: bad\n\n"


def test_cached_prefix_scores_equal_a_full_forward(prompt_model):
    tokenizer, model = prompt_model.tokenizer, prompt_model.model
    prefix = "Text: the cat sat\nLabel: good\n\n"
    queries = ["Text: a red dog\nLabel:", "Text: one\nLabel:"]
    # Multi-token words take one pass per word; single-token words are read off one pass per query.
    for candidates in (["good", "bad movie"], ["good", "bad"]):
        _assert_scores_match_full_forward(model, tokenizer, prefix, queries, candidates)


def _assert_scores_match_full_forward(model, tokenizer, prefix, queries, candidates):
    scores = candidate_log_likelihoods(model, tokenizer, prefix, queries, candidates, batch_size=3)
    prefix_ids = tokenizer(prefix)["input_ids"]
    for q, query in enumerate(queries):
        query_ids = tokenizer(query, add_special_tokens=False)["input_ids"]
        for c, word in enumerate(candidates):
            word_ids = tokenizer(" " + word, add_special_tokens=False)["input_ids"]
            ids = torch.tensor([prefix_ids + query_ids + word_ids])
            with torch.no_grad():
                log_probs = torch.log_softmax(model(input_ids=ids).logits[0].float(), -1)
            start = len(prefix_ids) + len(query_ids)
            expected = torch.stack([log_probs[start - 1 + j, token] for j, token in enumerate(word_ids)]).mean()
            assert scores[q, c] == pytest.approx(float(expected), abs=1e-4)


def test_label_with_higher_likelihood_is_predicted(decoder):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(decoder)
    model = AutoModelForCausalLM.from_pretrained(decoder).eval()
    # Every position predicts "great" with near certainty: its label must win whatever the input.
    head = nn.Linear(model.config.hidden_size, model.config.vocab_size, bias=True)
    nn.init.zeros_(head.weight)
    with torch.no_grad():
        head.bias.fill_(-10.0)
        head.bias[tokenizer.convert_tokens_to_ids("great")] = 10.0
    model.lm_head = head
    train = LabeledTexts(["good fun", "boring plot", "great film", "awful movie"], ["pos", "neg", "pos", "neg"], ["t:1", "t:2", "t:3", "t:4"])
    test = LabeledTexts(["a good movie", "an awful plot", "fun"], ["pos", "neg", "pos"], ["s:1", "s:2", "s:3"])
    metrics = prompt_classify(PromptModel(model, tokenizer, "biased"), train, test, ["neg", "pos"], shots=1, seed=0, label_words={"neg": "awful", "pos": "great"}, log=QUIET)
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["confusion_matrix"] == [[0, 1], [0, 2]]
    assert metrics["prompt"]["demonstrations"] == 2 and metrics["prompt"]["label_words"] == {"neg": "awful", "pos": "great"}
    with pytest.raises(ConfigError, match="--label-words"):
        prompt_classify(PromptModel(model, tokenizer, "biased"), train, test, ["neg", "pos"], shots=1, label_words={"neg": "x", "pos": "x"}, log=QUIET)


def test_prompt_generate_zero_and_few_shot(prompt_model):
    train = TextPairs(["the cat sat", "a dog ran"], ["cat", "dog"], ["t:1", "t:2"])
    test = TextPairs(["the red cat"], ["red cat"], ["s:1"])
    zero, predictions = prompt_generate(prompt_model, train, test, shots=0, max_new_tokens=2, log=QUIET)
    few, _ = prompt_generate(prompt_model, train, test, shots=2, max_new_tokens=2, log=QUIET)
    assert zero["prompt"]["shots"] == 0 and few["prompt"]["shots"] == 2 and sorted(few["prompt"]["demonstration_sources"]) == ["t:1", "t:2"]
    assert len(predictions) == 1 and zero["n_examples"] == 1 and "\n\n" not in predictions[0]


def test_prompt_cli_classification_and_generation(tmp_path, decoder, tiny_csv, capsys):
    out = tmp_path / "icl.json"
    assert main(["prompt", str(tiny_csv), "--base", str(decoder), "--shots", "0", "1", "--limit", "5", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["task"] == "classification" and set(result["results"]) == {"0", "1"}
    assert result["results"]["1"]["n_examples"] == 5 and result["results"]["1"]["prompt"]["demonstrations"] == 2
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    assert main(["prompt", str(pairs), "--base", str(decoder), "--shots", "1", "--max-new-tokens", "2", "--validation-fraction", "0.25"]) == 0
    assert '"1": {"rouge1"' in capsys.readouterr().out


def test_prompting_refuses_seq2seq_models(tmp_path):
    t5 = build_tiny_t5(tmp_path / "t5")
    with pytest.raises(ConfigError, match="needs a decoder"):
        load_prompt_model(resolve_base(str(t5)))


def test_template_escapes_keep_non_ascii_text():
    from headstart.tasks.generation import template_text

    assert template_text("Résumé — {input}\\nCatégorie :") == "Résumé — {input}\nCatégorie :"
    assert template_text("a\\tb\\\\n") == "a\tb\\n"  # an escaped backslash stays a backslash
    assert template_text("日本語 {input}") == "日本語 {input}"
