"""headstart predict --file: streamed in chunks, written atomically, same results as predict_texts."""

from __future__ import annotations

import csv
import json

import pytest
from deploy_support import tiny_run

from conftest import ASSETS, write
from headstart.api import predict_texts
from headstart.cli.main import main
from headstart.deploy.stream import stream_rows
from headstart.errors import DataError

DATA = ASSETS / "tiny_sentiment.csv"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def texts():
    with open(DATA, newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def test_rows_come_in_chunks_and_errors_late_in_the_file_surface_only_when_reached(tmp_path):
    stream = stream_rows(DATA, chunk_rows=16)
    assert stream.columns == ["text", "label"] and stream.total == 60
    assert [len(c) for c in stream.chunks()] == [16, 16, 16, 12]
    body = "".join(json.dumps({"text": f"t{i}", "id": i}) + "\n" for i in range(40)) + "{broken\n"
    lazy = stream_rows(write(tmp_path / "big.jsonl", body), chunk_rows=10)
    assert len(lazy.first) == 10 and lazy.columns == ["text", "id"]  # opened without reading to the bad line
    with pytest.raises(DataError, match=r"big.jsonl:41: invalid JSON"):
        list(lazy.chunks())


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_predict_file_streams_to_each_format_like_predict_texts(run_dir, texts, tmp_path, suffix, capsys):
    out = tmp_path / f"pred{suffix}"
    assert main(["predict", str(run_dir), "--file", str(DATA), "--out", str(out), "--batch-size", "4"]) == 0
    assert "wrote 60 predictions" in capsys.readouterr().err
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    else:
        with open(out, newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ","))
    assert len(rows) == 60 and list(rows[0]) == ["text", "label", "predicted_label", "score", "prob_negative", "prob_positive"]
    expected = predict_texts(run_dir, texts)
    assert [r["predicted_label"] for r in rows] == [e["label"] for e in expected]
    assert float(rows[7]["prob_positive"]) == pytest.approx(expected[7]["probabilities"]["positive"], abs=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_jsonl_input_and_stdout_output(run_dir, texts, tmp_path, capsys):
    source = write(tmp_path / "in.jsonl", "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts[:20])))
    assert main(["predict", str(run_dir), "--file", str(source), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == list(range(20))
    assert [line["predicted_label"] for line in lines] == [r["label"] for r in predict_texts(run_dir, texts[:20])]


def test_a_crash_midway_leaves_the_old_output_untouched_and_no_partial_file(run_dir, tmp_path, monkeypatch, capsys):
    import headstart.api

    out = write(tmp_path / "pred.csv", "previous results\n")
    calls = []
    real = headstart.api.predict_texts

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(headstart.api, "predict_texts", failing)
    # batch size 1 -> chunks of 256 rows; a 600-row file needs three chunks
    big = write(tmp_path / "big.csv", "text\n" + "great fun\n" * 600)
    assert main(["predict", str(run_dir), "--file", str(big), "--out", str(out), "--batch-size", "1"]) == 130
    assert len(calls) == 2
    assert out.read_text() == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv", "pred.csv"]
