"""The model card of a run: Hugging Face metadata, Mitchell et al. sections, none empty, refreshed after audits."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from headstart.api import train_run
from headstart.cli.main import main
from headstart.data.classification import DataSpec
from headstart.report.documents import refresh_documents
from headstart.training.config import TrainConfig

SECTIONS = [
    "Model details",
    "Intended use",
    "How to use",
    "Training data",
    "Training procedure",
    "Evaluation results",
    "Factors and disaggregated results",
    "Data-quality findings",
    "Domain fit",
    "Limitations",
]

BIAS = {
    "score": "P(positive)",
    "dimensions": {
        "gender": {
            "groups": ["female", "male"],
            "templates": {
                "items": 12,
                "flip_rate": {"mean": 0.25, "low": 0.0, "high": 0.5, "n": 12},
                "mean_score": {"female": {"mean": 0.61, "low": 0.55, "high": 0.67, "n": 12}, "male": {"mean": 0.52, "low": 0.47, "high": 0.58, "n": 12}},
                "score_gap": {"gap": 0.09, "low": 0.03, "high": 0.15},
            },
        }
    },
    "crows_pairs": {
        "base": "tiny", "pairs": 40, "ties": 0,
        "stereotype_preferred": {"mean": 0.575, "low": 0.425, "high": 0.725, "n": 40},
        "by_bias_type": {"gender": {"mean": 0.6, "low": 0.4, "high": 0.8, "n": 25}},
        "summary": ["CrowS-Pairs (40 pairs, base tiny): stereotyped sentence preferred in 0.575 [0.425, 0.725] of pairs"],
    },
}


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_base):
    from conftest import ASSETS

    out = tmp_path_factory.mktemp("card") / "tiny"
    config = TrainConfig(method="full", epochs=2, learning_rate=3e-3, head_learning_rate=3e-3, batch_size=8, patience=0, seed=3, precision="fp32")
    train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv"), validation_fraction=0.25), base=str(tiny_base), config=config, output=out, log=lambda m: None)
    return out


def sections(card: str) -> dict[str, str]:
    """Body of each '## ' section, in order."""
    body = card.split("\n---\n", 1)[1]
    parts = re.split(r"^## (.+)$", body, flags=re.MULTILINE)
    return dict(zip(parts[1::2], (p.strip() for p in parts[2::2])))


def test_card_has_metadata_and_every_section_filled(run):
    card = (run / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["library_name"] == "transformers" and meta["pipeline_tag"] == "text-classification"
    assert {m["type"] for m in meta["model-index"][0]["results"][0]["metrics"]} == {"accuracy", "f1"}
    found = sections(card)
    assert list(found) == SECTIONS
    empty = [name for name, text in found.items() if len(text) < 40]
    assert empty == []


def test_unmeasured_sections_name_the_command_that_fills_them(run):
    found = sections((run / "README.md").read_text(encoding="utf-8"))
    assert "Not measured for this run" in found["Factors and disaggregated results"]
    assert f"`headstart audit-bias {run}`" in found["Factors and disaggregated results"]
    assert f"--out {run}`" in found["Data-quality findings"] and "Likely label errors were not searched" in found["Data-quality findings"]
    assert f"--run {run}`" in found["Domain fit"]
    assert "One seed: the spread between runs was not measured (run with `--seeds 5`" in found["Training procedure"]


def test_train_writes_cheap_audit_and_report_and_the_card_links_it(run):
    audit = json.loads((run / "audit.json").read_text())
    # tiny_sentiment.csv: 60 rows, 25% held out for validation.
    assert audit["rows"] == {"train": 44, "validation": 16}
    assert "skipped" in audit["label_errors"] and "leakage" in audit and "truncation" in audit
    card = (run / "README.md").read_text(encoding="utf-8")
    assert "[report.html](report.html)" in card and (run / "report.html").is_file()
    found = sections(card)
    assert "- rows: train 44, validation 16" in found["Data-quality findings"]
    assert "Text length in tokens" in found["Training data"] and "| train | 44 | 2 |" in found["Training data"]


def test_metrics_carry_bootstrap_intervals_and_calibration(run):
    from headstart.audit.stats import confusion_cis

    metrics = json.loads((run / "metrics.json").read_text())
    validation = metrics["validation"]
    cis = confusion_cis(validation["confusion_matrix"])
    assert cis["accuracy"]["mean"] == pytest.approx(validation["accuracy"], abs=1e-4)
    assert cis["macro_f1"]["mean"] == pytest.approx(validation["macro_f1"], abs=1e-4)
    assert cis["accuracy"]["low"] <= cis["accuracy"]["mean"] <= cis["accuracy"]["high"]
    found = sections((run / "README.md").read_text(encoding="utf-8"))
    row = f"| validation | 16 | {cis['accuracy']['mean']:.3f} [{cis['accuracy']['low']:.3f}, {cis['accuracy']['high']:.3f}] |"
    assert row in found["Evaluation results"]
    calibration = metrics["calibration"]["validation"]
    assert calibration["n"] == 16 and sum(calibration["counts"]) == 16
    assert f"(ECE, 10 bins) {calibration['ece']:.4f}" in found["Evaluation results"]


def test_confusion_intervals_match_known_values():
    from headstart.audit.stats import confusion_cis

    perfect = confusion_cis([[3, 0], [0, 5]])
    assert perfect["accuracy"] == {"mean": 1.0, "low": 1.0, "high": 1.0, "n": 8}
    # A class absent from the split (last row) does not count towards macro-F1, as in evaluation.metrics.
    partial = confusion_cis([[5, 3, 0], [3, 4, 1], [0, 0, 0]])
    assert partial["macro_f1"]["mean"] == pytest.approx(0.5792, abs=1e-4)
    assert partial["accuracy"]["mean"] == pytest.approx(9 / 16, abs=1e-4)
    # Many classes with 2 examples each: resamples drop classes, which must not drag the interval below the estimate.
    import numpy as np

    many = np.eye(40, dtype=int) * 2
    many[0, 0], many[0, 1] = 1, 1
    cis = confusion_cis(many)["macro_f1"]
    assert cis["low"] <= cis["mean"] <= cis["high"]


def test_refresh_after_bias_and_data_audits(run, tmp_path, tiny_base, capsys):
    from conftest import ASSETS

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    (copy / "bias.json").write_text(json.dumps(BIAS))
    paths = refresh_documents(copy)
    assert paths == [copy / "report.html", copy / "README.md"]
    found = sections((copy / "README.md").read_text(encoding="utf-8"))
    factors = found["Factors and disaggregated results"]
    assert "| gender | templates | 12 | female | 0.610 [0.550, 0.670] | 0.250 [0.000, 0.500] |" in factors
    assert "preferred in 0.575 [0.425, 0.725] of pairs" in factors and "| gender | 25 | 0.600 [0.400, 0.800] |" in factors
    assert "Not measured" not in factors
    assert "0.610 [0.550, 0.670]" in (copy / "report.html").read_text(encoding="utf-8")

    code = main(["audit-data", str(ASSETS / "tiny_sentiment.csv"), "--base", str(tiny_base), "--model", "tfidf", "--folds", "2", "--out", str(copy)])
    assert code == 0 and "refreshed:" in capsys.readouterr().out
    quality = sections((copy / "README.md").read_text(encoding="utf-8"))["Data-quality findings"]
    assert "likely label errors: " in quality and "2-fold tfidf model" in quality
    assert "Likely label errors were not searched" not in quality
    assert not list(copy.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_diagnose_run_fills_domain_fit(run, tmp_path, tiny_base, capsys):
    from conftest import ASSETS

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    code = main(["diagnose", str(tiny_base), str(ASSETS / "tiny_sentiment.csv"), "--run", str(copy), "--max-texts", "20", "--perplexity-tokens", "20"])
    assert code == 0
    saved = json.loads((copy / "diagnosis.json").read_text())
    domain = sections((copy / "README.md").read_text(encoding="utf-8"))["Domain fit"]
    assert f"recommendation: **{saved['verdict']}**" in domain and "pseudo-perplexity: n/a (the base has no masked-LM head)" in domain
    assert main(["diagnose", str(tiny_base), str(ASSETS / "tiny_sentiment.csv"), "--run", str(tmp_path / "nope")]) == 2
    assert "no such run directory" in capsys.readouterr().err


def test_audit_bias_into_the_run_refreshes_card_and_report(run, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    assert main(["audit-bias", str(copy), "--dimensions", "gender"]) == 0
    assert f"refreshed: {copy / 'report.html'}, {copy / 'README.md'}" in capsys.readouterr().out
    factors = sections((copy / "README.md").read_text(encoding="utf-8"))["Factors and disaggregated results"]
    assert "| gender | templates |" in factors and "Not measured" not in factors
    assert "| gender | templates |" not in (run / "README.md").read_text(encoding="utf-8")


def test_card_of_an_incomplete_record_is_left_alone_with_a_note(tmp_path):
    from fake_run import make_run

    folder = make_run(tmp_path / "fake")
    (folder / "README.md").write_text("old card")
    notes = []
    assert refresh_documents(folder, calibration=False, log=notes.append) == [folder / "report.html"]
    assert (folder / "README.md").read_text() == "old card" and "not refreshed" in notes[0]
