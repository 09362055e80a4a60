"""Write a classification run directory: model, config, metrics, log, plots, card."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from headstart.catalog.resolve import ResolvedBase
from headstart.data.classification import ClassificationData, DataSpec
from headstart.evaluation.plots import plot_confusion_matrix
from headstart.runs.atomic import RUN_MARKER, StagedDirectory, atomic_write_json, atomic_write_text
from headstart.runs.card import label_counts, render_card
from headstart.runs.environment import library_versions, machine
from headstart.tasks.classification import TrainedClassifier
from headstart.training.config import TrainConfig


def base_record(base: ResolvedBase) -> dict[str, Any]:
    entry = base.entry
    return {
        "name": base.name,
        "location": base.location,
        "hub_id": entry.hub_id if entry else None,
        "architecture": entry.architecture if entry else None,
        "license": entry.license if entry else None,
        "package": entry.requirement if entry else None,
    }


def run_record(run_name: str, base: ResolvedBase, spec: DataSpec, data: ClassificationData, config: TrainConfig, trained: TrainedClassifier) -> dict[str, Any]:
    """The fully resolved configuration and context of a run (saved as headstart.yaml)."""
    train = config.to_dict()
    train["learning_rate"] = config.resolved_learning_rate()
    train["head_learning_rate"] = config.resolved_head_learning_rate()
    return {
        "headstart_run": 1,
        "task": "text-classification",
        "run_name": run_name,
        "base": base_record(base),
        "data": {
            **dataclasses.asdict(spec),
            "name": Path(spec.train).parent.name or Path(spec.train).stem,
            "validation_from_train": data.validation_from_train,
            # The columns actually read (detected or given): predict and eval of a pair run need both texts.
            "text_column": data.train.text_column or spec.text_column,
            "text_pair_column": data.text_pair_column,
        },
        "train": train,
        "labels": trained.label_names,
        "multi_label": data.multi_label,
        "threshold": trained.threshold,
        "mixed_precision": trained.mixed_precision,
        "parameters": {"trainable": trained.trainable_parameters, "total": trained.total_parameters},
        "truncated_texts": trained.truncated,
        "result": {k: v for k, v in dataclasses.asdict(trained.loop).items() if k != "history"},
        **({"stages": trained.stages} if trained.stages else {}),
        "data_warnings": [issue.render().replace("\n", " ") for issue in data.issues.warnings],
        "versions": library_versions(),
        "machine": machine(),
    }


def write_run(output: Path, record: dict[str, Any], trained: TrainedClassifier, data: ClassificationData, log_lines: list[str], overwrite: bool = False) -> Path:
    """Write everything into ``output`` atomically and return it."""
    from headstart.report.documents import write_train_documents

    metrics = dict(trained.metrics)
    metrics["history"] = trained.loop.history
    if "validation" in trained.eval_logits and not data.multi_label:
        metrics["calibration"] = {"validation": validation_reliability(trained, data)}
    counts = {name: label_counts(split.labels) for name, split in data.splits().items()}
    record["data"]["label_counts"] = counts
    with StagedDirectory(output, overwrite) as stage:
        trained.model.save_pretrained(stage, safe_serialization=True)
        trained.tokenizer.save_pretrained(stage)
        for split, scores in trained.metrics.items():
            if "confusion_matrix" not in scores:
                continue
            plot_confusion_matrix(scores["confusion_matrix"], trained.label_names, stage / f"confusion_matrix_{split}.png", f"{record['run_name']}: {split}")
        atomic_write_json(stage / "metrics.json", metrics)
        atomic_write_text(stage / "train.log", "\n".join(log_lines) + "\n")
        # The cheap data checks and report.html, so the card can link them.
        extras = write_train_documents(stage, output, record, metrics, trained, data)
        atomic_write_text(stage / "README.md", render_card(record, metrics, counts, extras))
        # Written last: its presence marks the run as complete.
        atomic_write_text(stage / RUN_MARKER, yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
    return output


def validation_reliability(trained: TrainedClassifier, data: ClassificationData) -> dict[str, Any]:
    """Reliability bins and ECE of the kept model on the validation split, as stored in metrics.json."""
    from headstart.report.calibration import reliability, reliability_to_dict
    from headstart.tasks.classification import split_targets
    from headstart.tasks.inference import softmax

    targets = split_targets(data.validation, trained.label_names, False, data.label_separator)
    return reliability_to_dict(reliability(softmax(trained.eval_logits["validation"]), targets))
