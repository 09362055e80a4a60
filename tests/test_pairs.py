"""Sentence pairs: column detection, validation naming file:line, training, predict, eval, serve and the card."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import ASSETS, shared, write
from headstart.api import evaluate_run, predict_texts
from headstart.cli.main import main
from headstart.data.classification import DataSpec, load_classification_data, load_split
from headstart.data.columns import find_pair
from headstart.data.issues import DataValidationError
from headstart.data.readers import read_table
from headstart.errors import ConfigError, DataError

PAIRS = ASSETS / "tiny_pairs.tsv"
FAST = dict(epochs=25, learning_rate=3e-3, head_learning_rate=3e-3, batch_size=8, patience=0, seed=3, precision="fp32")
FIRST = ["the film was", "my card", "it is the story"]
SECOND = ["a great film", "awful acting and a boring plot", "so lovely"]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["sentence1", "sentence2", "label", "idx"], ("sentence1", "sentence2")),
        (["premise", "hypothesis", "label"], ("premise", "hypothesis")),
        (["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"], ("#1 String", "#2 String")),
        (["text_a", "text_b", "label"], ("text_a", "text_b")),
        (["qid1", "question1", "question2", "is_duplicate"], ("question1", "question2")),
        (["question", "sentence", "label"], ("question", "sentence")),
        (["text", "label"], None),
    ],
)
def test_pair_columns_are_detected_by_name(columns, expected):
    assert find_pair(columns) == expected


def test_auto_detected_pair_makes_a_pair_task_and_task_classification_does_not():
    data = load_classification_data(DataSpec(str(PAIRS)))
    assert (data.train.text_column, data.text_pair_column) == ("premise", "hypothesis")
    assert len(data.train.pairs) == len(data.train.texts) and len(data.train) + len(data.validation.pairs) == 60
    single = load_classification_data(DataSpec(str(PAIRS), text_column="hypothesis", pair_mode="off"))
    assert single.train.pairs is None and single.text_pair_column is None and single.train.text_column == "hypothesis"
    with pytest.raises(DataError, match=r"looks like sentence pairs \(columns 'premise' \+ 'hypothesis'\).*Use --task pairs"):
        load_classification_data(DataSpec(str(PAIRS), pair_mode="off"))


def test_task_pairs_without_a_second_column_lists_the_columns_found():
    with pytest.raises(DataError, match=r"--task pairs needs two text columns.*Columns found: text, label"):
        load_classification_data(DataSpec(str(ASSETS / "tiny_sentiment.csv"), pair_mode="required"))


def test_explicit_pair_columns_and_a_wrong_name(tmp_path):
    path = write(tmp_path / "p.csv", "a,b,y\nthe film,great,1\nmy card,awful,0\nthe plot,superb,1\nit is,bad,0\n")
    data = load_classification_data(DataSpec(str(path), text_column="a", text_pair_column="b", label_column="y", validation_fraction=0.5))
    assert data.text_pair_column == "b" and sorted(data.train.pairs + data.validation.pairs) == ["awful", "bad", "great", "superb"]
    with pytest.raises(DataError, match=r"no column 'c' \(given with --text-pair-column\)\. Columns found: a, b, y"):
        load_classification_data(DataSpec(str(path), text_column="a", text_pair_column="c", label_column="y"))


def test_missing_second_texts_are_all_reported_with_file_and_line(tmp_path):
    path = write(tmp_path / "nli.tsv", "sentence1\tsentence2\tlabel\nthe film\tgreat\t1\nmy card\t\t0\nthe plot\tsuperb\t1\nit is\n\tbad\t0\nso\tawful\t0\n")
    with pytest.raises(DataValidationError) as caught:
        load_classification_data(DataSpec(str(path)))
    message = str(caught.value)
    assert "2 sentence pair(s) without a second text in column 'sentence2'" in message
    assert f"{path}:3, {path}:5" in message
    assert "1 row(s) with an empty or whitespace-only text in column 'sentence1'" in message and f"{path}:6" in message


def test_snli_no_gold_label_rows_are_dropped_with_a_warning(tmp_path):
    path = write(tmp_path / "snli.jsonl", "\n".join(json.dumps(r) for r in [
        {"premise": "the film", "hypothesis": "great", "gold_label": "entailment"},
        {"premise": "my card", "hypothesis": "awful", "gold_label": "-"},
        {"premise": "the plot", "hypothesis": "superb", "gold_label": "neutral"},
        {"premise": "it is", "hypothesis": "bad", "gold_label": "entailment"},
        {"premise": "so", "hypothesis": "poor", "gold_label": "neutral"},
    ]) + "\n")
    data = load_classification_data(DataSpec(str(path), validation_fraction=0.5))
    assert len(data.train) + len(data.validation) == 4 and data.label_names == ["entailment", "neutral"]
    assert [w.locations for w in data.issues.warnings if "label '-'" in w.message] == [[f"{path}:2"]]


def test_duplicate_and_leakage_checks_compare_both_texts(tmp_path):
    # The same premise with different hypotheses and labels is normal NLI data, not a conflict.
    train = write(tmp_path / "train.csv", "premise,hypothesis,label\nthe film,great,yes\nthe film,awful,no\nmy card,superb,yes\nmy card,bad,no\n")
    test = write(tmp_path / "test.csv", "premise,hypothesis,label\nthe film,great,yes\nthe film,lovely,yes\n")
    data = load_classification_data(DataSpec(str(train), validation=str(train), test=str(test)))
    messages = [w.message for w in data.issues.warnings]
    assert not any("more than once with different labels" in m for m in messages)
    leak = [w for w in data.issues.warnings if "leakage" in w.message and str(test) in w.message]
    assert len(leak) == 1 and "1 of 2 test pair(s)" in leak[0].message and leak[0].locations == [f"{test}:2"]


def test_glue_style_files_read_verbatim_and_csv_quoted_exports_unquoted(tmp_path):
    glue = write(tmp_path / "glue.tsv", 'Quality\t#1 String\t#2 String\n1\t" The pie business does not fit .\tIt said " no " .\n')
    row = read_table(glue).rows[0]
    assert row["#1 String"] == '" The pie business does not fit .' and row["#2 String"] == 'It said " no " .'
    exported = write(tmp_path / "hf.tsv", 'sentence1\tsentence2\tlabel\n"He said ""hi"" there."\tok\t0\nplain\t"""Quoted"" start"\t1\n')
    rows = read_table(exported).rows
    assert rows[0]["sentence1"] == 'He said "hi" there.' and rows[1]["sentence2"] == '"Quoted" start'


def test_json_object_of_records_keeps_line_numbers(tmp_path):
    records = {"0": {"text_a": "the film", "text_b": "great", "label": "1"}, "1": {"text_a": "my card", "text_b": "", "label": "0"}}
    path = write(tmp_path / "lmbff.json", json.dumps(records, indent=4))
    table = read_table(path)
    assert table.columns == ["text_a", "text_b", "label"] and table.where(1) == f"{path}:7"
    with pytest.raises(DataValidationError, match=rf"without a second text in column 'text_b'.*\n    at {path}:7"):
        load_split(DataSpec(str(path)))


@dataclass
class PairRun:
    path: Path
    metrics: dict


@pytest.fixture(scope="module")
def pair_run(tmp_path_factory, tiny_base):
    # Through the CLI with --task auto (the default), so detection from the file is what makes it a pair run.
    import torch

    out = tmp_path_factory.mktemp("runs") / "pairs"
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in FAST.items()]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 32-wide model gains nothing from threads, and they spin on a shared machine
    try:
        assert main(["train", str(PAIRS), "--test", str(PAIRS), "--base", str(tiny_base), "--output", str(out), *flags]) == 0
    finally:
        torch.set_num_threads(threads)
    return PairRun(out, json.loads((out / "metrics.json").read_text()))


def test_pair_run_learns_from_the_second_text(pair_run):
    # The label is carried only by a polar word in the hypothesis; premises are neutral filler.
    # A run that dropped the second text would sit at chance (0.5).
    assert pair_run.metrics["test"]["accuracy"] >= 0.85


def test_record_and_card_describe_a_pair_task(pair_run):
    record = yaml.safe_load((pair_run.path / "headstart.yaml").read_text())
    assert (record["data"]["text_column"], record["data"]["text_pair_column"]) == ("premise", "hypothesis")
    card = (pair_run.path / "README.md").read_text()
    assert "A 2-class sentence-pair classifier" in card
    assert "columns `premise` and `hypothesis`" in card and '--pair "second text"' in card
    assert "- sentence-pairs" in card


def test_predict_with_a_pair_equals_the_model_called_directly(pair_run):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(pair_run.path).eval()
    tokenizer = AutoTokenizer.from_pretrained(pair_run.path)
    with torch.no_grad():
        direct = torch.softmax(model(**tokenizer(FIRST, SECOND, padding=True, return_tensors="pt")).logits, -1).numpy()
    results = predict_texts(pair_run.path, FIRST, pairs=SECOND)
    names = model.config.id2label
    got = np.array([[r["probabilities"][names[i]] for i in range(len(names))] for r in results])
    np.testing.assert_allclose(got, direct, atol=1e-5)
    assert tokenizer(FIRST[0], SECOND[0])["token_type_ids"].count(1) > 0


def test_predict_refuses_a_pair_run_without_second_texts(pair_run, tiny_base):
    with pytest.raises(ConfigError, match="classifies sentence pairs.*--pair"):
        predict_texts(pair_run.path, FIRST)
    with pytest.raises(ConfigError, match="3 text\\(s\\) but 1 second text"):
        predict_texts(pair_run.path, FIRST, pairs=SECOND[:1])


def test_eval_matches_training_metrics_and_reports_bad_rows(pair_run, tmp_path):
    metrics = evaluate_run(pair_run.path, PAIRS)
    assert metrics["accuracy"] == pytest.approx(pair_run.metrics["test"]["accuracy"])
    assert metrics["n_examples"] == 60
    broken = write(tmp_path / "broken.tsv", PAIRS.read_text().replace("\tgreat film really\t", "\t\t", 1))
    with pytest.raises(DataValidationError, match=rf"without a second text in column 'hypothesis'.*\n    at {broken}:2"):
        evaluate_run(pair_run.path, broken)


def test_cli_predict_and_eval_with_pairs(pair_run, tmp_path, capsys):
    assert main(["predict", str(pair_run.path), FIRST[0], "--pair", SECOND[0], "--json"]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line["text_pair"] == SECOND[0] and line["label"] == predict_texts(pair_run.path, FIRST[:1], pairs=SECOND[:1])[0]["label"]
    assert main(["predict", str(pair_run.path), FIRST[0]]) == 2
    assert "--pair" in capsys.readouterr().err
    renamed = write(tmp_path / "renamed.csv", "first,second\n" + "\n".join(f"{a},{b}" for a, b in zip(FIRST, SECOND)) + "\n")
    out = tmp_path / "pred.csv"
    assert main(["predict", str(pair_run.path), "--file", str(renamed), "--text-column", "first", "--text-pair-column", "second", "--out", str(out)]) == 0
    expected = [r["label"] for r in predict_texts(pair_run.path, FIRST, pairs=SECOND)]
    assert [row["predicted_label"] for row in read_table(out).rows] == expected
    assert main(["eval", str(pair_run.path), str(PAIRS)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["n_examples"] == 60


def test_cli_task_pairs_on_single_text_data_is_a_message(tmp_path, capsys, tiny_base):
    assert main(["train", str(ASSETS / "tiny_sentiment.csv"), "--task", "pairs", "--base", str(tiny_base), "--output", str(tmp_path / "o")]) == 2
    assert "Columns found: text, label" in capsys.readouterr().err


def test_serve_accepts_text_pair(pair_run):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from headstart.deploy.backends import load_predictor
    from headstart.deploy.server import ServeOptions, create_app

    predictor = load_predictor(pair_run.path)
    expected = predict_texts(predictor, FIRST, pairs=SECOND)
    with TestClient(create_app(predictor, ServeOptions(batch_wait_ms=1))) as client:
        one = client.post("/predict", json={"text": FIRST[1], "text_pair": SECOND[1]}).json()["predictions"][0]
        assert one["probabilities"] == pytest.approx(expected[1]["probabilities"], abs=1e-5)
        many = client.post("/predict", json={"texts": FIRST, "text_pairs": SECOND}).json()["predictions"]
        assert [p["label"] for p in many] == [e["label"] for e in expected]
        refused = client.post("/predict", json={"text": FIRST[0]})
        assert refused.status_code == 422 and "text_pair" in refused.json()["detail"]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("train", "test", "columns", "sizes", "labels"),
    [
        ("mrpc/msr_paraphrase_train.txt", "mrpc/msr_paraphrase_test.txt", ("#1 String", "#2 String"), (4076, 1725), ["0", "1"]),
        ("mrpc/glue_pretrain_train.json", "mrpc/glue_dev_from_LM-BFF_kshot_test.tsv", ("text_a", "text_b"), (3300, 408), ["0", "1"]),
        ("rte/train.tsv", "rte/dev.tsv", ("sentence1", "sentence2"), (2490, 277), ["0", "1"]),
        ("rte/glue_pretrain_train.json", "rte/glue_dev_from_LM-BFF_kshot_test.tsv", ("text_a", "text_b"), (2240, 277), ["entailment", "not_entailment"]),
        ("snli_subset/glue_pretrain_train.json", "snli_subset/glue_pretrain_dev.json", ("text_a", "text_b"), (8999, 1000), ["contradiction", "entailment", "neutral"]),
        ("snli_subset/kshot_16-42_train.tsv", "snli_subset/kshot_16-42_dev.tsv", ("sentence1", "sentence2"), (48, 48), ["contradiction", "entailment", "neutral"]),
    ],
)
def test_real_pair_files_read_with_their_published_sizes(train, test, columns, sizes, labels):
    root = shared(train.split("/")[0]).parent
    data = load_classification_data(DataSpec(str(root / train), test=str(root / test), pair_mode="required"))
    assert (data.train.text_column, data.text_pair_column) == columns
    assert (len(data.train) + len(data.validation), len(data.test)) == sizes
    assert data.label_names == labels
    assert not data.issues.errors
    everything = data.train.texts + data.train.pairs + data.test.texts + data.test.pairs
    # GLUE TSVs keep a text's leading '"' verbatim; the HF export (RTE train/dev) is CSV-quoted and must come out unquoted.
    assert not any(t.startswith('"') and t.endswith('"') and '""' in t for t in everything)
    assert all(t.strip() for t in everything)


def test_predict_and_eval_columns_prefer_the_runs_then_detect(tmp_path):
    from headstart.data.pairs import eval_columns

    table = read_table(PAIRS)
    record = {"data": {"text_column": "premise", "text_pair_column": "hypothesis"}}
    assert eval_columns(table, record, None, None) == ("premise", "hypothesis")
    assert eval_columns(table, {"data": {"text_column": "s1", "text_pair_column": "hypothesis"}}, None, None) == ("premise", "hypothesis")
    assert eval_columns(table, record, "hypothesis", "premise") == ("hypothesis", "premise")
    other = read_table(write(tmp_path / "o.csv", "a,b\nthe film,great\n"))
    with pytest.raises(DataError, match="Columns found: a, b"):
        eval_columns(other, record, None, None)
