"""diagnose: fragmentation, unknown tokens, pseudo-perplexity, neighbour agreement, and the recommendation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import build_tiny_bert, write
from headstart.cli.main import main
from headstart.diagnose.neighbours import neighbour_agreement
from headstart.diagnose.report import recommend
from headstart.diagnose.vocabulary import VocabularyFit, vocabulary_fit
from headstart.pretrain.wordpiece import train_wordpiece


def fit(frag: float, unk: float) -> VocabularyFit:
    return VocabularyFit(words=100, tokens=120, fragmented_share=frag, pieces_per_word=1.2, unknown_rate=unk)


def test_fragmentation_and_unknown_rate():
    tokenizer = train_wordpiece(["the cat sat on the mat"] * 30 + ["a dog ran", "aardvark zebra oxcart"] * 10, vocab_size=60)
    result = vocabulary_fit(tokenizer, ["the cat sat", "the scattered sat"])
    assert result.words == 6
    assert result.fragmented_share == pytest.approx(1 / 6)  # 'scattered' -> s ##c ##at ##t ##e ##r ##e ##d
    assert result.examples == ["s ##c ##at ##t ##e ##r ##e ##d"]
    assert result.pieces_per_word == pytest.approx(13 / 6)
    unknown = vocabulary_fit(tokenizer, ["the cat 你"])  # a character never seen in training
    assert unknown.unknown_rate == pytest.approx(1 / 3)


def test_neighbour_agreement_against_majority_rate():
    embeddings = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    assert neighbour_agreement(embeddings, ["a", "a", "b", "b"]) == {"knn_agreement": 1.0, "majority_rate": 0.5, "k": 1}
    assert neighbour_agreement(embeddings, ["a", "b", "a", "b"])["knn_agreement"] == 0.0


@pytest.mark.parametrize(
    ("vocab", "ppl", "neighbours", "verdict", "phrase"),
    [
        (fit(0.01, 0.0), None, {"knn_agreement": 0.7, "majority_rate": 0.1}, "fine-tune", "the vocabulary fits"),
        (fit(0.09, 0.0), None, None, "adapt", "9% of words split into 3+ pieces"),
        (fit(0.01, 0.0), {"pseudo_perplexity": 90.0, "ratio_to_reference": 3.0}, None, "adapt", "3.0x that on everyday English"),
        (fit(0.45, 0.0), None, None, "pretrain", "does not fit"),
        (fit(0.02, 0.12), None, None, "pretrain", "12.0% unknown tokens"),
        (fit(0.01, 0.0), None, {"knn_agreement": 0.12, "majority_rate": 0.1}, "fine-tune", "barely separate the labels"),
    ],
)
def test_recommendation(vocab, ppl, neighbours, verdict, phrase):
    got, reasons = recommend(vocab, ppl, neighbours)
    assert got == verdict
    assert any(phrase in reason for reason in reasons), reasons


def test_cli_on_labeled_data_without_mlm_head(tiny_base, tiny_csv, capsys):
    assert main(["diagnose", str(tiny_base), str(tiny_csv)]) == 0
    out = capsys.readouterr().out
    assert "pseudo-perplexity: n/a (the base has no masked-LM head)" in out
    assert "nearest-neighbour label agreement:" in out and "recommendation:" in out


def test_cli_json_with_mlm_head(tmp_path, capsys):
    import torch
    from transformers import AutoModelForMaskedLM

    base = build_tiny_bert(tmp_path / "mlm")
    torch.manual_seed(0)
    AutoModelForMaskedLM.from_pretrained(base).save_pretrained(base)  # now with an MLM head
    corpus = write(tmp_path / "text.txt", "\n".join(["the movie was good", "the film was bad", "this plot is boring"] * 5) + "\n")
    assert main(["diagnose", str(base), str(corpus), "--json", "--perplexity-tokens", "20"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["pseudo_perplexity"]["tokens"] == 20 and result["pseudo_perplexity"]["ratio_to_reference"] > 0
    assert result["neighbours"] is None and result["vocabulary"]["unknown_rate"] == 0.0
    assert result["verdict"] in {"fine-tune", "adapt", "pretrain"}


def test_cli_errors(tiny_base, tmp_path, tiny_csv, capsys):
    assert main(["diagnose", str(tiny_base), str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["diagnose", str(tiny_base), str(tiny_csv), "--label-column", "nope"]) == 2
    assert "no column 'nope' (given with --label-column)" in capsys.readouterr().err


def test_quick_diagnosis_warns_only_when_the_vocabulary_fits_badly():
    from headstart.diagnose.quick import quick_diagnosis

    tokenizer = train_wordpiece(["the cat sat on the mat"] * 30 + ["a dog ran", "aardvark zebra oxcart"] * 10, vocab_size=60)
    fits = quick_diagnosis(tokenizer, ["the cat sat on the mat", "a dog ran"] * 20)
    assert fits["warning"] is None and fits["fragmented_share"] == 0.0 and fits["texts"] == 40
    poor = quick_diagnosis(tokenizer, ["the scattered cat", "a dog ran"] * 20)
    assert poor["fragmented_share"] == pytest.approx(1 / 6, abs=1e-4)
    assert "17% of words are split into 3+ sub-word pieces (e.g. s ##c ##at ##t ##e ##r ##e ##d)" in poor["warning"]
    assert "headstart adapt" in poor["warning"]
    assert quick_diagnosis(tokenizer, []) is None


def test_train_warns_on_unknown_words_and_records_the_diagnosis(tiny_base, tmp_path):
    import yaml

    from headstart.api import train_run
    from headstart.data.classification import DataSpec
    from headstart.training.config import TrainConfig

    rows = "".join(f"the film was zorbulous {i},positive\nthe film was quixotrine {i},negative\n" for i in range(10))
    data = write(tmp_path / "odd.csv", "text,label\n" + rows)
    messages: list[str] = []
    train_run(DataSpec(train=str(data)), str(tiny_base), TrainConfig(epochs=1, precision="fp32"), tmp_path / "run", log=messages.append)
    record = yaml.safe_load((tmp_path / "run" / "headstart.yaml").read_text())
    diagnosis = record["diagnosis"]
    assert diagnosis["unknown_rate"] > 0.3  # 'zorbulous'/'quixotrine' and the digits are [UNK] to the 58-word vocabulary
    assert diagnosis["warning"] and any(m.startswith("warning: the base model's vocabulary fits this text poorly") for m in messages)
