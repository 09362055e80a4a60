"""The command line as a user meets it: help, errors without tracebacks, config files, predict/eval."""

from __future__ import annotations

import csv

import pytest
import yaml

from conftest import ASSETS, write
from headstart.cli.main import main

TINY = ["--epochs", "25", "--method", "full", "--learning-rate", "3e-3", "--head-learning-rate", "3e-3", "--batch-size", "8", "--patience", "0", "--precision", "fp32", "--seed", "3"]


@pytest.mark.parametrize("command", [[], ["train"], ["predict"], ["eval"], ["models"]])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: headstart" in out
    if command == ["train"]:
        assert "--learning-rate" in out and "Peak learning rate" in out and "--config" in out


def test_bad_data_is_a_message_not_a_traceback(tmp_path, capsys, tiny_base):
    path = write(tmp_path / "d.csv", "text,label\n,a\nx,a\n")
    assert main(["train", str(path), "--base", str(tiny_base), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "headstart: error: the data has 2 problem(s)" in err
    assert "d.csv:2" in err and "at least 2 classes" in err
    assert not (tmp_path / "out").exists()


def test_unknown_base_model(tmp_path, capsys):
    assert main(["train", str(ASSETS / "tiny_sentiment.csv"), "--base", "nope-model"]) == 2
    assert "unknown base model 'nope-model'" in capsys.readouterr().err


def test_invalid_options_collected(tmp_path, capsys, tiny_base):
    code = main(["train", str(ASSETS / "tiny_sentiment.csv"), "--base", str(tiny_base), "--epochs", "0", "--warmup-ratio", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "--epochs must be at least 1; got 0" in err and "--warmup-ratio must be in [0, 1); got 2.0" in err


def test_config_file_unknown_key(tmp_path, capsys):
    config = write(tmp_path / "c.yaml", "epochs: 3\nlearnin_rate: 0.1\n")
    assert main(["train", str(ASSETS / "tiny_sentiment.csv"), "--config", str(config)]) == 2
    assert "unknown option(s) learnin_rate" in capsys.readouterr().err


def test_predict_missing_run(tmp_path, capsys):
    assert main(["predict", str(tmp_path / "nope"), "hello"]) == 2
    assert "no such run directory" in capsys.readouterr().err


def test_train_predict_eval_round_trip(tmp_path, capsys, tiny_base):
    config = write(tmp_path / "c.yaml", "epochs: 25\nbatch-size: 8\n")
    out = tmp_path / "run"
    args = ["train", str(ASSETS / "tiny_sentiment.csv"), "--base", str(tiny_base), "--output", str(out), "--config", str(config), *TINY[2:]]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "validation (used to pick the best epoch): accuracy" in printed
    record = yaml.safe_load((out / "headstart.yaml").read_text())
    assert record["train"]["epochs"] == 25 and record["train"]["batch_size"] == 8

    assert main(["predict", str(out), "a great film", "an awful film"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["positive", "negative"]

    assert main(["predict", str(out), "--file", str(ASSETS / "tiny_sentiment.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    assert len(rows) == 60 and set(rows[0]) == {"text", "label", "predicted_label", "score", "prob_negative", "prob_positive"}
    agreement = sum(r["label"] == r["predicted_label"] for r in rows) / len(rows)

    assert main(["eval", str(out), str(ASSETS / "tiny_sentiment.csv")]) == 0
    assert f"accuracy {agreement:.4f}" in capsys.readouterr().out


def test_predict_requires_input(tmp_path, capsys):
    assert main(["predict", str(tmp_path)]) == 2
    assert "give texts to classify, or --file PATH" in capsys.readouterr().err
