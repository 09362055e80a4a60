"""Text-to-text generation: data validation, loss masking, training on the one loop, run directories, generate."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from generation_support import PAIRS, build_tiny_decoder, build_tiny_t5, write_pairs
from headstart.api_generation import generate_from_run, train_text2text_run
from headstart.cli.main import main
from headstart.data.classification import DataSpec
from headstart.data.issues import DataValidationError
from headstart.data.text2text import load_text2text_data
from headstart.errors import ConfigError
from headstart.evaluation.generation import generation_metrics
from headstart.tasks.generation import IGNORE, GenerationOptions, PairCollator, encode_pairs, render_prompts
from headstart.training.config import TrainConfig

TEMPLATE = "Input: {input}\nOutput:"
QUIET = staticmethod(lambda message: None)


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    return build_tiny_decoder(tmp_path_factory.mktemp("tiny-decoder"))


@pytest.fixture(scope="module")
def t5(tmp_path_factory):
    return build_tiny_t5(tmp_path_factory.mktemp("tiny-t5"))


def _tokenizer(folder):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


def test_decoder_labels_are_ignored_on_prompt_and_padding(decoder):
    tokenizer = _tokenizer(decoder)
    prompts, cut = render_prompts(tokenizer, TEMPLATE, ["the cat sat on the mat", "one two"], 4)
    assert cut == 1 and prompts[0] == "Input: the cat sat on\nOutput:"
    encoded, _ = encode_pairs(tokenizer, "decoder", prompts, ["cat mat", "two"], 16)
    prompt_ids = tokenizer(prompts[0])["input_ids"]
    completion = tokenizer(" cat mat", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    assert encoded.input_ids[0] == prompt_ids + completion
    assert encoded.labels[0] == [IGNORE] * len(prompt_ids) + completion
    batch = PairCollator(encoded, tokenizer.pad_token_id)([0, 1])
    short = len(encoded.input_ids[1])
    assert batch["labels"][1, short:].tolist() == [IGNORE] * (batch["labels"].shape[1] - short)
    assert batch["input_ids"][1, short:].eq(tokenizer.pad_token_id).all() and batch["attention_mask"][1, short:].eq(0).all()
    # The model's loss is the cross-entropy over completion tokens only.
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(decoder)
    with torch.no_grad():
        out = model(**batch)
        logits, labels = out.logits[:, :-1], batch["labels"][:, 1:]
        keep = labels != IGNORE
        manual = torch.nn.functional.cross_entropy(logits[keep], labels[keep])
    assert int(keep.sum()) == len(completion) + 2  # " two" + eos in the second row
    assert float(out.loss) == pytest.approx(float(manual), rel=1e-5)


def test_seq2seq_labels_are_the_target_and_truncation_is_counted(t5):
    tokenizer = _tokenizer(t5)
    encoded, cut = encode_pairs(tokenizer, "seq2seq", ["the cat sat", "one"], ["cat mat", "one two three"], 2)
    assert encoded.input_ids[0] == tokenizer("the cat sat")["input_ids"]
    assert encoded.labels[0] == tokenizer("cat mat")["input_ids"][:2] and encoded.labels[1] == tokenizer("one two three")["input_ids"][:2]
    assert cut == 2  # both targets are 3+ tokens with [EOS]


def test_empty_inputs_and_targets_are_errors_naming_file_and_line(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [{"document": "the cat", "summary": "cat"}, {"document": "the dog", "summary": " "}, {"document": "", "summary": "red"}, {"document": "a mat", "summary": None}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        load_text2text_data(DataSpec(train=str(path)))
    message = str(caught.value)
    assert "2 row(s) with an empty target in column 'summary'" in message and f"{path}:2" in message and f"{path}:4" in message
    assert "1 row(s) with an empty input in column 'document'" in message and f"{path}:3" in message
    assert len(caught.value.issues) == 2
    data = load_text2text_data(DataSpec(train=str(path), validation=str(path), skip_bad_rows=True))
    assert data.train.inputs == ["the cat"] and data.train.sources == [f"{path}:1"]


def test_target_column_flag_and_missing_column_message(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("text,rewrite\nthe cat,a cat\nthe dog,a dog\nred cat,a red cat\n", encoding="utf-8")
    data = load_text2text_data(DataSpec(train=str(path), validation_fraction=0.34), target_column="rewrite")
    assert (data.input_column, data.target_column) == ("text", "rewrite") and len(data.train) == 2 and len(data.validation) == 1
    with pytest.raises(Exception, match="could not find the target column.*--target-column"):
        load_text2text_data(DataSpec(train=str(path)))


def test_generation_metrics():
    same = generation_metrics(["The cat sat."], ["the cat sat"])
    assert same["rouge1"] == pytest.approx(1.0) and same["exact_match"] == 1.0
    half = generation_metrics(["the cat sat", "x y"], ["the dog ran", "x y"])
    assert half["rouge1"] == pytest.approx((1 / 3 + 1) / 2) and half["rouge2"] == pytest.approx(0.5) and half["exact_match"] == 0.5


def test_decoder_full_training_lowers_loss_and_generate_round_trips(tmp_path, decoder, capsys):
    data = write_pairs(tmp_path / "pairs.jsonl")
    config = TrainConfig(method="full", epochs=6, learning_rate=1e-2, batch_size=8, patience=0, warmup_ratio=0.0, precision="fp32", seed=1)
    summary = train_text2text_run(DataSpec(train=str(data), validation=str(data)), str(decoder), config, GenerationOptions(prompt_template=TEMPLATE, max_new_tokens=3), tmp_path / "run", log=QUIET)
    history = json.loads((summary.path / "metrics.json").read_text())["history"]
    assert history[-1]["train_loss"] < 0.75 * history[0]["train_loss"]
    assert sorted(p.name for p in summary.path.iterdir()) == sorted(
        ["README.md", "config.json", "generation_config.json", "headstart.yaml", "metrics.json", "model.safetensors", "predictions_validation.jsonl", "tokenizer.json", "tokenizer_config.json", "train.log"]
    )
    record = yaml.safe_load((summary.path / "headstart.yaml").read_text())
    assert record["task"] == "text2text-generation" and record["model_kind"] == "decoder" and record["generation"]["prompt_template"] == TEMPLATE
    saved = [json.loads(line) for line in (summary.path / "predictions_validation.jsonl").read_text().splitlines()]
    assert [s["input"] for s in saved] == [source for source, _ in PAIRS]
    assert generate_from_run(summary.path, [s["input"] for s in saved]) == [s["prediction"] for s in saved]
    assert main(["generate", str(summary.path), saved[0]["input"]]) == 0
    assert capsys.readouterr().out.strip() == saved[0]["prediction"]
    card = (summary.path / "README.md").read_text()
    assert "pipeline_tag: text-generation" in card and "ROUGE-L" in card


def test_cli_detects_text2text_trains_lora_by_default_and_predict_eval_use_it(tmp_path, decoder, capsys):
    data = write_pairs(tmp_path / "pairs.jsonl", repeat=2)
    out = tmp_path / "lora"
    code = main(["train", str(data), "--base", str(decoder), "--output", str(out), "--epochs", "1", "--batch-size", "8", "--max-new-tokens", "2", "--precision", "fp32", "--validation-fraction", "0.25"])
    assert code == 0
    files = {p.name for p in out.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "headstart.yaml"} <= files and "model.safetensors" not in files
    assert yaml.safe_load((out / "headstart.yaml").read_text())["train"]["method"] == "lora"
    capsys.readouterr()
    assert main(["predict", str(out), "the cat sat on the mat", "--json"]) == 0
    predicted = json.loads(capsys.readouterr().out)
    assert predicted["generated"] == generate_from_run(out, ["the cat sat on the mat"])[0]
    assert main(["eval", str(out), str(data)]) == 0
    assert "ROUGE-1" in capsys.readouterr().out


def test_seq2seq_t5_trains_and_saves(tmp_path, t5):
    data = write_pairs(tmp_path / "pairs.jsonl")
    config = TrainConfig(method="full", epochs=5, learning_rate=1e-2, batch_size=8, patience=0, warmup_ratio=0.0, precision="fp32")
    summary = train_text2text_run(DataSpec(train=str(data), validation=str(data), test=str(data)), str(t5), config, GenerationOptions(max_new_tokens=3), tmp_path / "t5run", log=QUIET)
    history = json.loads((summary.path / "metrics.json").read_text())["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert yaml.safe_load((summary.path / "headstart.yaml").read_text())["model_kind"] == "seq2seq"
    assert summary.metrics["test"]["n_examples"] == len(PAIRS) and (summary.path / "predictions_test.jsonl").is_file()


def test_refuses_encoders_head_method_and_bad_templates(tmp_path, tiny_base, decoder):
    data = write_pairs(tmp_path / "pairs.jsonl")
    spec = DataSpec(train=str(data), validation=str(data))
    with pytest.raises(ConfigError, match="smollm2-135m"):
        train_text2text_run(spec, str(tiny_base), TrainConfig(), output=tmp_path / "a", log=QUIET)
    with pytest.raises(ConfigError, match="got .head."):
        train_text2text_run(spec, str(decoder), TrainConfig(method="head"), output=tmp_path / "b", log=QUIET)
    with pytest.raises(ConfigError, match=r"\{input\}"):
        train_text2text_run(spec, str(decoder), TrainConfig(), GenerationOptions(prompt_template="no slot"), output=tmp_path / "c", log=QUIET)


def test_gguf_quantization_config_is_dropped_with_weights_kept(decoder):
    from transformers import AutoModelForCausalLM

    from headstart.models.loading import without_gguf

    model = AutoModelForCausalLM.from_pretrained(decoder)
    model.config.quantization_config = {"quant_method": "gguf"}
    clean = without_gguf(model)
    assert getattr(clean.config, "quantization_config", None) is None
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), clean.state_dict().values()))


def test_text2text_uses_a_generator_base_unless_one_is_given():
    from headstart.catalog.entries import DEFAULT_BASE
    from headstart.cli.main import build_parser
    from headstart.cli.train_text2text import DEFAULT_GENERATOR, _given

    parser = build_parser()
    implicit = parser.parse_args(["train", "pairs.jsonl", "--task", "text2text"])
    explicit = parser.parse_args(["train", "pairs.jsonl", "--base", DEFAULT_BASE])
    assert not _given(implicit, "base", DEFAULT_BASE) and _given(explicit, "base", DEFAULT_BASE)
    assert implicit.base == DEFAULT_BASE and DEFAULT_GENERATOR == "smollm2-135m"


@pytest.mark.integration
def test_dialogsum_columns_are_detected():
    from conftest import shared

    folder = shared("dialogsum")
    data = load_text2text_data(DataSpec(train=str(folder / "dialogsum.dev.jsonl"), test=str(folder / "dialogsum.test.jsonl")))
    assert (data.input_column, data.target_column) == ("dialogue", "summary")
    assert len(data.train) + len(data.validation) == 500 and len(data.test) == 500
    assert data.test.targets[0].startswith("Ms. Dawson helps #Person1#")  # summary1, the first of three references


def test_gguf_rebuild_keeps_tied_embeddings_tied():
    from transformers import LlamaConfig, LlamaForCausalLM

    from headstart.models.loading import without_gguf

    config = LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    model.config.quantization_config = {"quant_method": "gguf"}
    before = sum(p.numel() for p in model.parameters())
    clean = without_gguf(model)
    assert sum(p.numel() for p in clean.parameters()) == before
    assert clean.lm_head.weight.data_ptr() == clean.model.embed_tokens.weight.data_ptr()
