"""Learning curves: nested stratified samples, the answer logic, the run directory and --resume."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import headstart.curves as curves
from headstart.cli.main import main
from headstart.curves import CurveConfig, learning_curve, progress_path
from headstart.data.classification import DataSpec
from headstart.errors import ConfigError, DataError
from headstart.evaluation.curve import SizeSpec, answer_lines, draw_sample, matching_size, parse_method_sizes, parse_sizes, split_sample, summarise
from headstart.training.config import TrainConfig

CURVE_FILES = {"curve.json", "curve.csv", "curve.png", "curve.log", "README.md"}
FAST = dict(epochs=1, learning_rate=3e-3, head_learning_rate=3e-3, batch_size=8, patience=0, seed=3, precision="fp32")
LABELS = ["a"] * 600 + ["b"] * 300 + ["c"] * 100


def test_samples_are_nested_and_stratified():
    small, large = draw_sample(LABELS, 100, seed=5), draw_sample(LABELS, 400, seed=5)
    assert set(small) < set(large)
    assert large[:100] == small
    # Each prefix keeps the class shares (60/30/10) within one example.
    assert Counter(LABELS[i] for i in small) == {"a": 60, "b": 30, "c": 10}
    counts = Counter(LABELS[i] for i in draw_sample(LABELS, 50, seed=5))
    assert abs(counts["a"] - 30) <= 1 and abs(counts["b"] - 15) <= 1 and abs(counts["c"] - 5) <= 1
    assert draw_sample(LABELS, 100, seed=6) != small  # another repeat draws another sample


def test_per_class_samples_take_n_of_each_class_and_nest():
    small, large = draw_sample(LABELS, 8, 1, per_class=True), draw_sample(LABELS, 32, 1, per_class=True)
    assert Counter(LABELS[i] for i in small) == {"a": 8, "b": 8, "c": 8}
    assert set(small) < set(large)


def test_validation_part_is_nested_too():
    small, large = draw_sample(LABELS, 140, 2), draw_sample(LABELS, 700, 2)
    (train_s, val_s), (train_l, val_l) = split_sample(small, LABELS, 0.15), split_sample(large, LABELS, 0.15)
    assert set(val_s) < set(val_l) and set(train_s) < set(train_l)
    assert len(val_s) == 20 and len(train_s) == 120  # every 7th of each class: 84 a -> 12, 42 b -> 6, 14 c -> 2
    assert not set(train_l) & set(val_l)


def test_tiny_samples_still_get_a_validation_example_per_class():
    sample = draw_sample(LABELS, 4, 0, per_class=True)
    train, validation = split_sample(sample, LABELS, 0.15)
    assert sorted(LABELS[i] for i in validation) == ["a", "b", "c"]
    assert len(train) == 9


def test_parse_sizes_and_errors():
    assert parse_sizes("1000, 100x5,300", 3) == [SizeSpec(100, 5), SizeSpec(300, 3), SizeSpec(1000, 3)]
    assert parse_method_sizes("scratch=100,1000x2; full=100x3", ["full", "scratch"], 1) == {"scratch": [SizeSpec(100, 1), SizeSpec(1000, 2)], "full": [SizeSpec(100, 3)]}
    with pytest.raises(ConfigError, match="'1k' is not a size"):
        parse_sizes("100,1k", 3)
    with pytest.raises(ConfigError, match="not in --methods"):
        parse_method_sizes("lora=100", ["full"], 1)


def _points(method: str, scores: dict[int, list[float]]) -> list[dict]:
    return [{"method": method, "size": s, "scores": {"accuracy": v}} for s, values in scores.items() for v in values]


SYNTHETIC = summarise(
    _points("full", {100: [0.80, 0.84], 1000: [0.90]})
    + _points("tfidf", {100: [0.60], 1000: [0.72], 10000: [0.86]})
    + _points("scratch", {100: [0.50], 1000: [0.70], 10000: [0.81]}),
    "accuracy",
)


def test_answer_lines_on_synthetic_numbers():
    names = {"full": "minilm-l6 full", "tfidf": "TF-IDF + LR", "scratch": "minilm-l6 from scratch"}
    lines = answer_lines(SYNTHETIC, names, ["tfidf", "scratch"], 0.95, "accuracy")
    # The full-data score is the best mean anywhere (full 0.90 at 1,000), not the mean of the method that went
    # furthest (tfidf 0.86 at 10,000): 95% of it is 0.855.
    assert lines[0] == "full-data score: 0.9000 accuracy (minilm-l6 full with 1,000 labels); 95% of it is 0.8550"
    assert lines[1] == "minilm-l6 full reaches 95% of the full-data score (0.90) with 1,000 labels; TF-IDF + LR needs 10,000; minilm-l6 from scratch needs > 10,000"
    # full at 100 = 0.82: tfidf crosses between 1,000 (0.72) and 10,000 (0.86) at 10^(3 + 0.1/0.14) ≈ 5,179.
    assert lines[2].startswith("minilm-l6 full with 100 labels (0.8200 ± 0.0283, 2 repeats) matches TF-IDF + LR at ≈ 5,179 labels")
    assert lines[3] == "minilm-l6 full with 100 labels (0.8200 ± 0.0283, 2 repeats) matches minilm-l6 from scratch at > 10,000 labels (not reached; > 100x the labels)"


def test_full_size_and_matching_edges():
    assert answer_lines(SYNTHETIC, {}, [], 0.9, "accuracy", full_size=10000)[0].startswith("full-data score: 0.8600 accuracy (tfidf with 10,000 labels)")
    assert answer_lines(SYNTHETIC, {}, [], 0.9, "accuracy", full_size=100)[0].startswith("full-data score: 0.8200 accuracy (full with 100 labels)")
    first = matching_size(SYNTHETIC["scratch"], 0.4)
    assert (first.reached_at, first.estimate) == (100, 100.0)
    assert matching_size(SYNTHETIC["scratch"], 0.95).reached_at is None


@pytest.fixture()
def tiny_spec():
    from conftest import ASSETS

    return DataSpec(train=str(ASSETS / "tiny_sentiment.csv"), validation_fraction=0.25)


def test_curve_run_directory(tmp_path, tiny_base, tiny_spec):
    out = tmp_path / "curve"
    result = learning_curve(tiny_spec, CurveConfig(methods="full,tfidf,scratch", sizes="8,16", repeats=2, test_fraction=0.25, method_sizes="full=8x1,16x1;scratch=16x1"), TrainConfig(**FAST), str(tiny_base), out, log=lambda m: None)
    assert {p.name for p in out.iterdir()} == CURVE_FILES
    assert not progress_path(out).exists() and not (tmp_path / ".curve.partial").exists()
    saved = json.loads((out / "curve.json").read_text())
    keys = sorted((p["method"], p["size"], p["repeat"]) for p in saved["points"])
    assert keys == sorted([("full", 8, 0), ("full", 16, 0), ("tfidf", 8, 0), ("tfidf", 8, 1), ("tfidf", 16, 0), ("tfidf", 16, 1), ("scratch", 16, 0)])
    assert saved["data"]["test_size"] == 16 and saved["data"]["pool_size"] == 44
    assert {p["n_train"] + p["n_validation"] for p in saved["points"] if p["size"] == 16} == {16}
    assert saved["methods"]["scratch"]["settings"]["learning_rate"] == 1e-4
    assert len((out / "curve.csv").read_text().splitlines()) == 1 + 7
    assert (out / "curve.png").read_bytes()[:4] == b"\x89PNG"
    readme = (out / "README.md").read_text()
    assert result.answers[0] in readme and "| method (accuracy) | 8 | 16 |" in readme


def test_resume_reuses_finished_points_after_a_crash(tmp_path, tiny_spec, monkeypatch):
    real = curves.run_point
    calls: list[tuple[str, int]] = []

    def crashing(method, sample_train, sample_val, *rest):
        if len(calls) == 3:
            raise RuntimeError("power cut")
        calls.append((method, len(sample_train) + len(sample_val)))
        return real(method, sample_train, sample_val, *rest)

    monkeypatch.setattr(curves, "run_point", crashing)
    out = tmp_path / "curve"
    config = CurveConfig(methods="tfidf", sizes="8,16,24", repeats=2, test_fraction=0.25)
    with pytest.raises(RuntimeError):
        learning_curve(tiny_spec, config, TrainConfig(seed=3), output=out, log=lambda m: None)
    assert not out.exists()
    assert len(json.loads(progress_path(out).read_text())["points"]) == 3
    with pytest.raises(ConfigError, match="interrupted curve left finished points"):
        learning_curve(tiny_spec, config, TrainConfig(seed=3), output=out, log=lambda m: None)
    calls.clear()
    result = learning_curve(tiny_spec, config, TrainConfig(seed=3), output=out, resume=True, log=lambda m: None)
    assert result.reused == 3 and len(calls) == 3  # only the three unfinished points trained
    assert len(result.points) == 6 and not progress_path(out).exists()
    # A finished curve extended with a new size trains only that size; other settings are not reused.
    calls.clear()
    extended = learning_curve(tiny_spec, CurveConfig(methods="tfidf", sizes="8,16,24,32", repeats=2, test_fraction=0.25), TrainConfig(seed=3), output=out, resume=True, log=lambda m: None)
    assert extended.reused == 6 and calls == [("tfidf", 32), ("tfidf", 32)]
    calls.clear()
    other = learning_curve(tiny_spec, CurveConfig(methods="tfidf", sizes="8", repeats=1, test_fraction=0.3), TrainConfig(seed=3), output=out, resume=True, log=lambda m: None)
    assert other.reused == 0 and len(calls) == 1


def test_existing_output_needs_resume_or_overwrite(tmp_path, tiny_spec):
    out = tmp_path / "curve"
    out.mkdir()
    with pytest.raises(ConfigError, match="pass --resume"):
        learning_curve(tiny_spec, CurveConfig(methods="tfidf", sizes="8"), output=out, log=lambda m: None)


def test_bad_sizes_and_methods_are_reported(tmp_path, tiny_spec):
    with pytest.raises(DataError, match=r"100: larger than the data \(the pool has 48 examples\)") as err:
        learning_curve(tiny_spec, CurveConfig(methods="tfidf", sizes="2,8,100"), output=tmp_path / "c", log=lambda m: None)
    assert "2: fewer than 2 per class" in str(err.value)
    with pytest.raises(ConfigError, match="--methods 'fancy'"):
        learning_curve(tiny_spec, CurveConfig(methods="full,fancy", sizes="8"), output=tmp_path / "c", log=lambda m: None)
    with pytest.raises(ConfigError, match="--full-size 50 is not one of the curve's sizes"):
        learning_curve(tiny_spec, CurveConfig(methods="tfidf", sizes="8", full_size=50), output=tmp_path / "c", log=lambda m: None)


def test_random_init_base_keeps_architecture_and_tokenizer(tmp_path, tiny_base):
    from safetensors.torch import load_file

    from headstart.catalog.resolve import resolve_base
    from headstart.tasks.baselines import random_init_base

    scratch = random_init_base(resolve_base(str(tiny_base)), tmp_path / "scratch", seed=1)
    assert json.loads((Path(scratch.location) / "config.json").read_text())["hidden_size"] == 32
    assert (Path(scratch.location) / "tokenizer.json").read_bytes() == (tiny_base / "tokenizer.json").read_bytes()
    original, random = load_file(tiny_base / "model.safetensors"), load_file(Path(scratch.location) / "model.safetensors")
    key = next(k for k in original if "query.weight" in k)
    assert original[key].shape == random[key].shape and not (original[key] == random[key]).all()


def test_cli_curve(tmp_path, capsys, tiny_spec):
    out = tmp_path / "cli-curve"
    code = main(["curve", tiny_spec.train, "--methods", "tfidf", "--sizes", "8,24", "--repeats", "1", "--output", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and {p.name for p in out.iterdir()} == CURVE_FILES
    assert "full-data score:" in printed and "| TF-IDF + LR | " in printed
    assert main(["curve", tiny_spec.train, "--methods", "tfidf", "--sizes", "8", "--output", str(out)]) == 2
    assert "pass --resume" in capsys.readouterr().err


def test_curve_help_and_config_file(tmp_path, capsys, tiny_spec):
    with pytest.raises(SystemExit) as info:
        main(["curve", "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and "--method-sizes" in out and "--scratch-learning-rate" in out and "--resume" in out
    config = tmp_path / "curve.yaml"
    config.write_text("methods: tfidf\nsizes: 8,16x2\nrepeats: 1\n", encoding="utf-8")
    assert main(["curve", tiny_spec.train, "--config", str(config), "--output", str(tmp_path / "c")]) == 0
    saved = json.loads((tmp_path / "c" / "curve.json").read_text())
    assert sorted((p["size"], p["repeat"]) for p in saved["points"]) == [(8, 0), (16, 0), (16, 1)]
