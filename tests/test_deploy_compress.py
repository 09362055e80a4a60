"""headstart compress: int8 and ONNX copies are run directories that predict and eval accept."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from deploy_support import TEXTS, tiny_run

from conftest import ASSETS
from headstart.api import evaluate_run, predict_texts
from headstart.cli.main import main
from headstart.deploy.backends import load_predictor
from headstart.deploy.compress import CompressOptions, compress_run
from headstart.errors import ConfigError, RunDirError

DATA = ASSETS / "tiny_sentiment.csv"
COMMON = {"README.md", "compression.json", "config.json", "headstart.yaml", "tokenizer.json", "tokenizer_config.json"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def compressed(run_dir):
    return compress_run(run_dir, CompressOptions(int8=True, onnx=True, onnx_int8=True, eval_data=str(DATA)), log=lambda m: None)


def test_each_format_writes_a_complete_run_directory(compressed, run_dir):
    assert set(compressed.outputs) == {"int8", "onnx", "onnx-int8"}
    for fmt, path in compressed.outputs.items():
        assert path == run_dir.parent / f"{run_dir.name}-{fmt}"
        model_file = "model.int8.safetensors" if fmt == "int8" else "model.onnx"
        assert {p.name for p in path.iterdir()} - {"special_tokens_map.json", "vocab.txt"} == COMMON | {model_file}
        record = yaml.safe_load((path / "headstart.yaml").read_text())
        assert record["deploy"]["format"] == fmt
        assert record["labels"] == ["negative", "positive"]
        assert not (path.parent / f".{path.name}.partial").exists()


def test_compressed_runs_predict_like_the_original(compressed, run_dir):
    original = predict_texts(run_dir, TEXTS)
    reference = np.array([[r["probabilities"][n] for n in ("negative", "positive")] for r in original])
    tolerance = {"int8": 0.05, "onnx": 1e-4, "onnx-int8": 0.05}
    for fmt, path in compressed.outputs.items():
        results = predict_texts(path, TEXTS)
        assert [r["label"] for r in results] == [r["label"] for r in original], fmt
        probs = np.array([[r["probabilities"][n] for n in ("negative", "positive")] for r in results])
        np.testing.assert_allclose(probs, reference, atol=tolerance[fmt], err_msg=fmt)


def test_compressed_runs_evaluate_like_the_original(compressed, run_dir):
    original = evaluate_run(run_dir, DATA)
    assert original["accuracy"] >= 0.8  # the tiny model learned the task, so agreement is meaningful
    for fmt, path in compressed.outputs.items():
        assert abs(evaluate_run(path, DATA)["accuracy"] - original["accuracy"]) <= 1 / original["n_examples"] + 1e-9, fmt


def test_table_compares_size_speed_and_accuracy(compressed, run_dir):
    rows = {row.format: row for row in compressed.rows}
    assert list(rows) == ["fp32", "int8", "onnx", "onnx-int8"]
    assert rows["int8"].size_mb < rows["fp32"].size_mb
    assert rows["onnx-int8"].size_mb < rows["onnx"].size_mb
    for row in compressed.rows:
        assert row.latency_ms > 0 and row.throughput > 0
        assert row.accuracy is not None and row.accuracy >= 0.8
        assert row.agreement is not None and row.agreement >= 0.95
    assert "| int8 |" in compressed.table and "agreement with original" in compressed.table
    saved = json.loads((compressed.outputs["int8"] / "compression.json").read_text())
    assert [r["format"] for r in saved["rows"]] == ["fp32", "int8"] and "60 labeled texts" in saved["measured_on"]


def test_int8_file_holds_int8_linear_weights_and_loads_quantized_modules(compressed):
    from safetensors import safe_open
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    with safe_open(str(compressed.outputs["int8"] / "model.int8.safetensors"), framework="pt") as handle:
        keys = list(handle.keys())
        query = handle.get_tensor("bert.encoder.layer.0.attention.self.query.weight_int8")
    assert str(query.dtype) == "torch.int8" and query.shape == (32, 32)
    assert not any(k.endswith("query.weight") for k in keys)
    predictor = load_predictor(compressed.outputs["int8"])
    assert predictor.format == "int8"
    assert sum(isinstance(m, DynamicLinear) for m in predictor.model.modules()) >= 12


def test_refuses_bad_requests_with_actionable_messages(compressed, run_dir, tmp_path):
    with pytest.raises(ConfigError, match="choose at least one format: --int8, --onnx or --onnx-int8"):
        compress_run(run_dir, CompressOptions())
    with pytest.raises(ConfigError, match="--output names one folder but 2 formats"):
        compress_run(run_dir, CompressOptions(int8=True, onnx=True, output=str(tmp_path / "x")))
    with pytest.raises(ConfigError, match="already a int8 run; compress the original fp32 run"):
        compress_run(compressed.outputs["int8"], CompressOptions(onnx=True))
    with pytest.raises(ConfigError, match="already exists"):
        compress_run(run_dir, CompressOptions(int8=True), log=lambda m: None)


def test_damaged_compressed_runs_give_clear_errors(compressed, tmp_path):
    import shutil

    broken = tmp_path / "broken-onnx"
    shutil.copytree(compressed.outputs["onnx"], broken)
    (broken / "model.onnx").unlink()
    with pytest.raises(RunDirError, match="has no model.onnx"):
        load_predictor(broken)
    broken_int8 = tmp_path / "broken-int8"
    shutil.copytree(compressed.outputs["int8"], broken_int8)
    (broken_int8 / "model.int8.safetensors").write_bytes((compressed.outputs["onnx"] / "config.json").read_bytes())
    with pytest.raises(RunDirError, match="model.int8.safetensors is not a readable safetensors file"):
        load_predictor(broken_int8)


def test_cli_compress_then_predict_and_eval(run_dir, tmp_path, capsys):
    out = tmp_path / "cli-int8"
    assert main(["compress", str(run_dir), "--int8", "--output", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| cli-int8 | int8 |" in table and "| fp32 |" in table
    assert main(["predict", str(out), "great fun", "--json"]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line["label"] == predict_texts(run_dir, ["great fun"])[0]["label"]
    assert main(["eval", str(out), str(DATA)]) == 0
    assert '"n_examples": 60' in capsys.readouterr().out
    assert main(["compress", str(run_dir)]) == 2
    assert "choose at least one format" in capsys.readouterr().err
