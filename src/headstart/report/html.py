"""``headstart report``: one self-contained HTML page for a run (inline CSS, base64 PNGs, no network)."""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from headstart.report.calibration import Reliability, learning_curve_png, reliability, reliability_from_dict, reliability_png
from headstart.runs.load import read_record

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:70rem;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;font-size:.9rem}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.missing{color:#8a5a00;background:#fff7e6;padding:.5rem;border-left:3px solid #e0a000}
img{max-width:100%;border:1px solid #eee}code{background:#f5f5f5;padding:0 .2rem}
"""

MAX_SUSPECTS = 30


@dataclass
class ReportInputs:
    """Everything the page shows, gathered from the run directory."""

    run_dir: Path
    record: dict[str, Any]
    metrics: dict[str, Any]
    calibration: Reliability | None = None
    calibration_note: str = ""
    bias: dict[str, Any] | None = None
    audit: dict[str, Any] | None = None
    suspects: list[dict[str, str]] = field(default_factory=list)
    run_name: str = ""
    """How commands on the page name the run directory [default: ``run_dir``]."""

    @property
    def where(self) -> str:
        return self.run_name or str(self.run_dir)


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f'<td class="num">{value:.4f}</td>'
        if isinstance(value, int):
            return f'<td class="num">{value}</td>'
        return f"<td>{html.escape(str(value))}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _missing(text: str, command: str) -> str:
    return f'<p class="missing">{html.escape(text)} Run <code>{html.escape(command)}</code> to fill this section.</p>'


def validation_calibration(run_dir: Path) -> tuple[Reliability | None, str]:
    """Reliability of the run on its recorded validation split (recomputed by loading the run)."""
    from headstart.audit.run_predictions import label_indices, probabilities, recorded_split
    from headstart.errors import HeadstartError
    from headstart.runs.load import load_run

    try:
        run = load_run(run_dir)
        split = recorded_split(run, "validation")
        labels = label_indices(run, split.labels, f"{run_dir} validation data")
        probs = probabilities(run, split.texts)
    except HeadstartError as err:
        return None, f"Calibration not measured: {err}"
    return reliability(probs, labels), f"{len(labels)} validation examples"


def gather(run_dir: str | Path, calibration: bool = True) -> ReportInputs:
    """Read the run's record, metrics and any audit outputs in the folder."""
    run_dir = Path(run_dir)
    record = read_record(run_dir)
    metrics_path = run_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
    inputs = ReportInputs(run_dir, record, metrics)
    stored = (metrics.get("calibration") or {}).get("validation")
    if stored:
        inputs.calibration, inputs.calibration_note = reliability_from_dict(stored), f"{stored['n']} validation examples"
    elif calibration:
        inputs.calibration, inputs.calibration_note = validation_calibration(run_dir)
    if (run_dir / "bias.json").is_file():
        inputs.bias = json.loads((run_dir / "bias.json").read_text(encoding="utf-8"))
    if (run_dir / "audit.json").is_file():
        inputs.audit = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    if (run_dir / "suspects.csv").is_file():
        from headstart.audit.suspects import read_suspects

        inputs.suspects = read_suspects(run_dir / "suspects.csv")
    return inputs


def _metrics_section(inputs: ReportInputs) -> str:
    splits = {k: v for k, v in inputs.metrics.items() if isinstance(v, dict) and "accuracy" in v}
    if not splits:
        return _missing("No metrics.json in this run.", f"headstart eval {inputs.where} DATA")
    from headstart.audit.stats import confusion_cis

    def intervals(m: dict[str, Any]) -> list[str]:
        if "confusion_matrix" not in m:
            return ["n/a", "n/a"]
        cis = confusion_cis(m["confusion_matrix"])
        return [f"[{cis[k]['low']:.4f}, {cis[k]['high']:.4f}]" for k in ("accuracy", "macro_f1")]

    rows = [[name, m["n_examples"], m["accuracy"], m["macro_f1"], *intervals(m)] for name, m in splits.items()]
    main = "test" if "test" in splits else next(iter(splits))
    per_class = [[n, v["support"], v["precision"], v["recall"], v["f1"]] for n, v in splits[main]["per_class"].items()]
    return _table(["split", "examples", "accuracy", "macro-F1", "accuracy 95% CI", "macro-F1 95% CI"], rows) + f"<h3>Per class ({html.escape(main)})</h3>" + _table(["label", "support", "precision", "recall", "F1"], per_class)


def _confusion_section(inputs: ReportInputs) -> str:
    images = sorted(inputs.run_dir.glob("confusion_matrix_*.png"))
    if not images:
        return _missing("No confusion matrix image in this run.", f"headstart eval {inputs.where} DATA")
    return "".join(f"<h3>{html.escape(p.stem.replace('confusion_matrix_', ''))}</h3>" + _img(p.read_bytes(), p.stem) for p in images)


def _calibration_section(inputs: ReportInputs) -> str:
    rel = inputs.calibration
    if rel is None:
        return _missing(inputs.calibration_note or "Calibration not measured.", f"headstart report {inputs.where}")
    rows = [[f"{rel.edges[i]:.1f}-{rel.edges[i + 1]:.1f}", int(rel.counts[i]), float(rel.confidence[i]), float(rel.accuracy[i])] for i in range(len(rel.counts)) if rel.counts[i]]
    return (
        f'<p>Expected calibration error (ECE, 10 bins) on {html.escape(inputs.calibration_note)}: <strong id="ece">{rel.ece:.4f}</strong>. '
        "Bars below the diagonal mean the model is over-confident.</p>"
        + _img(reliability_png(rel, "validation"), "reliability diagram")
        + _table(["confidence bin", "examples", "mean confidence", "accuracy"], rows)
    )


def _bias_section(inputs: ReportInputs) -> str:
    if not inputs.bias:
        return _missing("No bias audit in this run directory.", f"headstart audit-bias {inputs.where}")
    from headstart.audit.card_sections import bias_rows

    header, rows = bias_rows(inputs.bias)
    page = f"<p>Score: {html.escape(inputs.bias.get('score', ''))}; intervals are bootstrap 95%.</p>" + _table(header, rows)
    crows = inputs.bias.get("crows_pairs")
    if crows:
        page += "<h3>CrowS-Pairs (base model)</h3><ul>" + "".join(f"<li>{html.escape(line.strip())}</li>" for line in crows["summary"]) + "</ul>"
    return page


def _data_section(inputs: ReportInputs) -> str:
    if not inputs.audit and not inputs.suspects:
        train_file = (inputs.record.get("data") or {}).get("train") or "TRAIN_FILE"
        return _missing("No data audit in this run directory.", f"headstart audit-data {train_file} --out {inputs.where}")
    parts = []
    if inputs.audit:
        parts.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in inputs.audit.get("summary", [])) + "</ul>")
        searched = inputs.audit.get("label_errors")
        if not searched or "skipped" in searched:
            train_file = (inputs.record.get("data") or {}).get("train") or "TRAIN_FILE"
            parts.append(_missing("Likely label errors were not searched.", f"headstart audit-data {train_file} --out {inputs.where}"))
    if inputs.suspects:
        rows = [[r["rank"], r["location"], r["text"][:160], r["given_label"], r["suggested_label"], r["score"], r["reason"][:200]] for r in inputs.suspects[:MAX_SUSPECTS]]
        parts.append(f"<h3>Suspect rows (top {len(rows)} of {len(inputs.suspects)})</h3>" + _table(["rank", "location", "text", "given", "suggested", "score", "reason"], rows))
    return "".join(parts)


def render_report(inputs: ReportInputs) -> str:
    """The HTML page."""
    record = inputs.record
    history = inputs.metrics.get("history") or []
    curve = learning_curve_png(history)
    sections = [
        ("metrics", "Metrics", _metrics_section(inputs)),
        ("learning-curve", "Learning curve", _img(curve, "learning curve") if curve else _missing("Fewer than 2 epochs recorded: no learning curve.", "headstart train ... --epochs 3")),
        ("confusion-matrix", "Confusion matrix", _confusion_section(inputs)),
        ("calibration", "Calibration", _calibration_section(inputs)),
        ("per-group", "Per-group results", _bias_section(inputs)),
        ("data-quality", "Data quality and suspect rows", _data_section(inputs)),
    ]
    base = record.get("base", {})
    title = html.escape(str(record.get("run_name", inputs.run_dir.name)))
    intro = (
        f"<p>Task: {html.escape(str(record.get('task')))}; base model <code>{html.escape(str(base.get('name')))}</code>; "
        f"method <code>{html.escape(str(record.get('train', {}).get('method')))}</code>; labels: {html.escape(', '.join(map(str, record.get('labels', [])[:30])))}.</p>"
    )
    body = "".join(f'<section id="{sid}"><h2>{name}</h2>{content}</section>' for sid, name, content in sections)
    return f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}: headstart report</title><style>{CSS}</style></head><body><h1>{title}</h1>{intro}{body}</body></html>\n'


def write_report(run_dir: str | Path, out: str | Path | None = None, calibration: bool = True) -> Path:
    """Gather, render and write the report (default: RUN_DIR/report.html)."""
    from headstart.runs.atomic import atomic_write_text

    inputs = gather(run_dir, calibration)
    path = Path(out) if out else Path(run_dir) / "report.html"
    atomic_write_text(path, render_report(inputs))
    return path
