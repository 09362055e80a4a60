"""headstart report: calibration math, the HTML page's sections and values, and card sections from audits."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from headstart.audit.card_sections import data_quality_section, factors_section
from headstart.cli.main import main
from headstart.report.calibration import reliability
from headstart.report.html import gather, render_report, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

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
}
AUDIT = {"summary": ["rows: train 60", "conflicting labels: 2 text(s) appear with different labels"]}
SUSPECTS = "rank,location,text,given_label,suggested_label,score,kinds,reason\n1,train.csv:7,so awful story was,positive,negative,0.9100,label_error,cross-validated model gives 'negative' p=0.91\n"


def test_ece_of_known_bins():
    # Two bins: confidence 0.95 with accuracy 1/2, confidence 0.65 with accuracy 1.
    probs = np.array([[0.95, 0.05], [0.95, 0.05], [0.35, 0.65], [0.35, 0.65]])
    labels = np.array([0, 1, 1, 1])
    rel = reliability(probs, labels, bins=10)
    assert rel.counts.tolist() == [0, 0, 0, 0, 0, 0, 2, 0, 0, 2]
    assert rel.ece == pytest.approx(0.5 * 0.45 + 0.5 * 0.35)
    perfect = reliability(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1]))
    assert perfect.ece == pytest.approx(0.0)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from fake_run import make_run

    folder = make_run(tmp_path_factory.mktemp("report") / "tiny-run")
    from headstart.evaluation.plots import plot_confusion_matrix

    plot_confusion_matrix([[5, 3], [3, 4]], ["negative", "positive"], folder / "confusion_matrix_validation.png", "tiny")
    return folder


def test_report_without_audits_says_what_is_missing(run_dir):
    page = render_report(gather(run_dir))
    for section in ("metrics", "learning-curve", "confusion-matrix", "calibration", "per-group", "data-quality"):
        assert f'<section id="{section}">' in page
    assert "headstart audit-bias" in page and "headstart audit-data" in page
    assert page.count("data:image/png;base64,") == 3  # learning curve, confusion matrix, reliability diagram
    assert not re.search(r"(src|href)=\"https?:", page) and "<script" not in page and "<link" not in page


def test_report_values_and_audit_sections(run_dir, tmp_path):
    from headstart.audit.run_predictions import label_indices, probabilities, recorded_split
    from headstart.runs.load import load_run

    folder = tmp_path / "with-audits"
    shutil.copytree(run_dir, folder)
    (folder / "bias.json").write_text(json.dumps(BIAS))
    (folder / "audit.json").write_text(json.dumps(AUDIT))
    (folder / "suspects.csv").write_text(SUSPECTS)
    path = write_report(folder)
    page = path.read_text(encoding="utf-8")
    assert path == folder / "report.html"
    run = load_run(folder)
    split = recorded_split(run)
    expected = reliability(probabilities(run, split.texts), label_indices(run, split.labels, "v")).ece
    assert f'id="ece">{expected:.4f}<' in page
    assert "on 16 validation examples" in page  # tiny_sentiment.csv: 60 rows, stratified 25% held out (8 + 8)
    assert "0.610 [0.550, 0.670]" in page and "0.250 [0.000, 0.500]" in page
    assert "so awful story was" in page and "conflicting labels: 2 text(s)" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)


def test_report_cli_and_bad_run_dir(run_dir, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(run_dir), "--out", str(out), "--no-calibration"]) == 0
    assert "Calibration not measured" in out.read_text()
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "no such run directory" in capsys.readouterr().err


def test_card_sections_from_audits():
    factors = factors_section(BIAS, "runs/x")
    assert "| gender | templates | 12 | female | 0.610 [0.550, 0.670] | 0.250 [0.000, 0.500] |" in factors
    assert "largest gap between group mean scores 0.090 [0.030, 0.150]" in factors
    assert "headstart audit-bias runs/x" in factors_section(None, "runs/x")
    quality = data_quality_section(AUDIT, [{"location": "t.csv:7", "given_label": "positive", "suggested_label": "negative", "kinds": "label_error", "text": "a | b"}])
    assert "- conflicting labels: 2 text(s)" in quality and "| t.csv:7 | positive | negative | label_error | a \\| b |" in quality
    assert "headstart audit-data data/train.csv" in data_quality_section(None, train_file="data/train.csv")


SHOW = """<script>
window.addEventListener("load", () => {
  const shown = {text: document.body.innerText, images: [...document.images].map((i) => [i.alt, i.naturalWidth, i.naturalHeight])};
  const out = document.createElement("pre");
  out.id = "shown";
  out.textContent = JSON.stringify(shown);
  document.body.appendChild(out);
});
</script>"""


def shown_in_chromium(page: Path, tmp_path: Path) -> dict:
    """What headless Chromium renders: the page's visible text (innerText) and each image's decoded size."""
    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium); .ci/run installs it")
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", SHOW + "</body>"), encoding="utf-8")
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=180, check=True,
    ).stdout
    found = re.search(r'<pre id="shown">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"the page did not finish loading in Chromium: {dom[:300]!r}"
    return json.loads(html.unescape(found.group(1)))


def test_page_shows_values_in_headless_chromium(run_dir, tmp_path):
    from headstart.audit.run_predictions import label_indices, probabilities, recorded_split
    from headstart.runs.load import load_run

    folder = tmp_path / "with-audits"
    shutil.copytree(run_dir, folder)
    (folder / "bias.json").write_text(json.dumps(BIAS))
    (folder / "audit.json").write_text(json.dumps(AUDIT))
    (folder / "suspects.csv").write_text(SUSPECTS)
    shown = shown_in_chromium(write_report(folder), tmp_path)
    text = shown["text"]
    run = load_run(folder)
    split = recorded_split(run)
    ece = reliability(probabilities(run, split.texts), label_indices(run, split.labels, "v")).ece
    assert f"Expected calibration error (ECE, 10 bins) on 16 validation examples: {ece:.4f}" in text
    # The metrics table row: accuracy, macro-F1 and their bootstrap intervals from the confusion matrix [[5, 3], [3, 4]].
    from headstart.audit.stats import confusion_cis

    cis = confusion_cis([[5, 3], [3, 4]])
    assert re.search(rf"validation\s+15\s+0\.6000\s+0\.5800\s+\[{cis['accuracy']['low']:.4f}, {cis['accuracy']['high']:.4f}\]", text)
    assert re.search(r"gender\s+templates\s+12\s+female\s+0\.610 \[0\.550, 0\.670\]\s+0\.250 \[0\.000, 0\.500\]", text)
    assert "so awful story was" in text and "conflicting labels: 2 text(s) appear with different labels" in text
    # Learning curve, confusion matrix and reliability diagram decode to real images.
    assert {alt for alt, width, height in shown["images"] if width > 100 and height > 100} == {"learning curve", "confusion_matrix_validation", "reliability diagram"}


def test_report_written_by_training_shows_in_headless_chromium(tmp_path, tiny_base):
    from conftest import ASSETS
    from headstart.api import train_run
    from headstart.data.classification import DataSpec
    from headstart.training.config import TrainConfig

    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium); .ci/run installs it")
    config = TrainConfig(method="full", epochs=2, learning_rate=3e-3, head_learning_rate=3e-3, batch_size=8, patience=0, seed=3, precision="fp32")
    out = tmp_path / "run"
    summary = train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv"), validation_fraction=0.25), base=str(tiny_base), config=config, output=out, log=lambda m: None)
    metrics = json.loads((out / "metrics.json").read_text())
    shown = shown_in_chromium(out / "report.html", tmp_path)
    text = shown["text"]
    assert f"validation\t16\t{summary.metrics['validation']['accuracy']:.4f}" in text
    assert f"on 16 validation examples: {metrics['calibration']['validation']['ece']:.4f}" in text
    assert "rows: train 44, validation 16" in text and "Likely label errors were not searched" in text
    assert f"headstart audit-bias {out}" in text


def test_help(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert "reliability diagram and ECE" in " ".join(capsys.readouterr().out.split())
