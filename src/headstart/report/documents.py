"""The run's documents — model card (README.md) and report.html — written at training time and refreshed after audits.

Training runs the cheap data checks (no cross-validated model) and stores the
validation calibration, so every run folder holds audit.json, suspects.csv and
report.html. ``audit-data --out RUN_DIR``, ``audit-bias RUN_DIR``, ``diagnose --run
RUN_DIR`` and ``report RUN_DIR`` call :func:`refresh_documents`, which rewrites both
documents (each atomically) from whatever outputs the folder now holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from headstart.runs.card import CardExtras

if TYPE_CHECKING:
    from headstart.data.classification import ClassificationData
    from headstart.tasks.classification import TrainedClassifier


def _json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def read_extras(run_dir: str | Path) -> CardExtras:
    """Audit, bias, diagnosis and report outputs present in ``run_dir``."""
    from headstart.audit.suspects import read_suspects

    run_dir = Path(run_dir)
    suspects = read_suspects(run_dir / "suspects.csv") if (run_dir / "suspects.csv").is_file() else []
    return CardExtras(
        audit=_json(run_dir / "audit.json"),
        suspects=suspects,
        bias=_json(run_dir / "bias.json"),
        diagnosis=_json(run_dir / "diagnosis.json"),
        report=(run_dir / "report.html").is_file(),
        run_dir=str(run_dir),
    )


def is_run_dir(path: str | Path) -> bool:
    from headstart.runs.atomic import RUN_MARKER

    return (Path(path) / RUN_MARKER).is_file()


def refresh_documents(run_dir: str | Path, calibration: bool = True, log: Callable[[str], None] = print) -> list[Path]:
    """Rewrite report.html, then README.md, of a finished classification run from the files it holds; returns the paths.

    Args:
        run_dir: A run directory written by ``headstart train``.
        calibration: Recompute validation calibration when metrics.json has none stored.
        log: Where a card that cannot be rebuilt is reported (the audit outputs stay valid).
    """
    from headstart.report.html import write_report
    from headstart.runs.atomic import atomic_write_text
    from headstart.runs.load import read_record

    run_dir = Path(run_dir)
    record = read_record(run_dir)
    if record.get("task", "text-classification") != "text-classification":
        return []
    report = write_report(run_dir, calibration=calibration)
    metrics = _json(run_dir / "metrics.json") or {}
    card = run_dir / "README.md"
    try:
        text = render_from_files(record, metrics, read_extras(run_dir))
    except KeyError as missing:
        log(f"note: {run_dir / 'README.md'} not refreshed: headstart.yaml or metrics.json lacks {missing} (written by another headstart version?).")
        return [report]
    atomic_write_text(card, text)
    return [report, card]


def render_from_files(record: dict[str, Any], metrics: dict[str, Any], extras: CardExtras) -> str:
    from headstart.runs.card import render_card

    counts = record.get("data", {}).get("label_counts")
    if not counts and extras.audit:
        counts = extras.audit.get("label_counts")
    return render_card(record, metrics, counts, extras)


def write_train_documents(stage: Path, final: Path, record: dict[str, Any], metrics: dict[str, Any], trained: TrainedClassifier, data: ClassificationData) -> CardExtras:
    """At training time, inside the staging folder: audit.json and suspects.csv of the cheap checks, and report.html.

    Args:
        stage: The staging folder being written (holds metrics.json and the confusion matrices already).
        final: Where the run will be, as commands in the documents name it.
        record: The run record (not yet written).
        metrics: metrics.json content, with ``calibration`` when measured.
        trained: The trained classifier (its tokenizer measures truncation).
        data: The run's splits.
    """
    from headstart.audit.data_audit import quick_audit, write_audit
    from headstart.audit.suspects import read_suspects
    from headstart.report.calibration import reliability_from_dict
    from headstart.report.html import ReportInputs, render_report
    from headstart.runs.atomic import atomic_write_text

    splits = {name: _joined(split) for name, split in data.splits().items()}
    files = {"train": record["data"]["train"], "validation": record["data"].get("validation") or "held out of the training file", "test": record["data"].get("test")}
    result = quick_audit(
        splits["train"], [s for name, s in splits.items() if name != "train"], trained.tokenizer, record["base"]["name"], record["train"]["max_length"],
        files={name: files[name] for name in splits},
    )
    write_audit(result, stage)
    audit = {**result.findings, "summary": result.summary}
    suspects = read_suspects(stage / "suspects.csv")
    stored = (metrics.get("calibration") or {}).get("validation")
    calibration = reliability_from_dict(stored) if stored else None
    note = f"{stored['n']} validation examples" if stored else "Calibration not measured: multi-label runs score each label separately."
    inputs = ReportInputs(stage, record, metrics, calibration, note, audit=audit, suspects=suspects, run_name=str(final))
    atomic_write_text(stage / "report.html", render_report(inputs))
    return CardExtras(audit=audit, suspects=suspects, report=True, run_dir=str(final))


def _joined(split):
    """A sentence-pair split as single texts ("first | second"), so duplicates and leakage compare whole examples."""
    import dataclasses

    if not getattr(split, "pairs", None):
        return split
    return dataclasses.replace(split, texts=[f"{a} | {b}" for a, b in zip(split.texts, split.pairs)])
