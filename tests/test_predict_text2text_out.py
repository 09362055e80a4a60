"""``predict``/``generate --file --out`` on a text-to-text run: the output format follows the --out suffix."""

from __future__ import annotations

import csv
import json

import pytest

from generation_support import PAIRS, build_tiny_decoder, write_pairs
from headstart.api_generation import generate_from_run, train_text2text_run
from headstart.cli.main import build_parser, main
from headstart.data.classification import DataSpec
from headstart.tasks.generation import GenerationOptions
from headstart.training.config import TrainConfig

INPUTS = [source for source, _ in PAIRS[:3]]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("t2t-out")
    data = write_pairs(folder / "pairs.jsonl")
    config = TrainConfig(method="full", epochs=1, batch_size=8, patience=0, precision="fp32", seed=1)
    options = GenerationOptions(prompt_template="Input: {input}\nOutput:", max_new_tokens=3)
    summary = train_text2text_run(DataSpec(train=str(data), validation=str(data)), str(build_tiny_decoder(folder / "base")), config, options, folder / "run", log=lambda message: None)
    return summary.path


@pytest.fixture()
def inputs_csv(tmp_path):
    path = tmp_path / "in.csv"
    # A comma, a quote and a newline make the CSV quoting matter on the way back.
    rows = [{"id": str(i), "document": text} for i, text in enumerate(INPUTS)] + [{"id": "3", "document": 'one, "two"\nthree'}]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "document"])
        writer.writeheader()
        writer.writerows(rows)
    return path, rows


@pytest.mark.parametrize("command", ["predict", "generate"])
def test_csv_out_is_csv_with_input_columns_and_generated(run_dir, inputs_csv, tmp_path, command):
    path, rows = inputs_csv
    out = tmp_path / "out.csv"
    assert main([command, str(run_dir), "--file", str(path), "--out", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        written = list(reader)
    assert reader.fieldnames == ["id", "document", "generated"]
    assert [{"id": r["id"], "document": r["document"]} for r in written] == rows
    assert [r["generated"] for r in written] == generate_from_run(run_dir, [r["document"] for r in rows])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]  # no temporary file left beside it


def test_jsonl_out_is_one_json_object_per_input_row(run_dir, inputs_csv, tmp_path):
    path, rows = inputs_csv
    out = tmp_path / "out.jsonl"
    assert main(["predict", str(run_dir), "--file", str(path), "--out", str(out)]) == 0
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = generate_from_run(run_dir, [r["document"] for r in rows])
    assert written == [{**row, "generated": text} for row, text in zip(rows, expected)]


@pytest.mark.parametrize("name", ["out.txt", "out.tsv", "out"])
def test_other_suffixes_are_refused_before_anything_is_written(run_dir, inputs_csv, tmp_path, capsys, name):
    path, _ = inputs_csv
    assert main(["predict", str(run_dir), "--file", str(path), "--out", str(tmp_path / name)]) == 2
    message = capsys.readouterr().err
    assert f"--out {tmp_path / name}" in message and ".csv" in message and ".jsonl" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_help_describes_each_kind_of_run():
    predict_help = build_parser()._subparsers._group_actions[0].choices["predict"].format_help()
    flat = " ".join(predict_help.split())
    assert "Text-to-text runs: the input columns + 'generated', as .csv or .jsonl" in flat
    assert "Token (NER) runs: JSON lines" in flat
