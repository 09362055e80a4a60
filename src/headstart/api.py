"""Python API: the same operations as the command line, for notebooks and scripts.

    from headstart.api import train_run, predict_texts
    run = train_run(DataSpec(train="train.csv"), output="runs/my-model")
    predict_texts(run, ["my card has not arrived"])
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np
from accelerate import PartialState

from headstart.catalog.entries import DEFAULT_BASE
from headstart.catalog.resolve import resolve_base
from headstart.data.classification import DataSpec, label_to_str, load_classification_data, load_split
from headstart.data.columns import LABEL_NAMES, TEXT_NAMES, pick_column
from headstart.data.pairs import eval_columns, recorded_columns
from headstart.data.readers import read_table
from headstart.deploy.backends import Predictor, as_predictor
from headstart.diagnose.quick import quick_diagnosis
from headstart.errors import ConfigError, DataError
from headstart.evaluation.metrics import classification_metrics, headline
from headstart.evaluation.multilabel import multi_hot, multilabel_metrics, sigmoid
from headstart.evaluation.spread import seed_spread
from headstart.models.loading import load_tokenizer
from headstart.runs.load import LoadedRun
from headstart.runs.write import run_record, write_run
from headstart.tasks.classification import evaluate_split, train_classifier
from headstart.tasks.inference import softmax
from headstart.tasks.method_choice import resolve_method
from headstart.training.config import TrainConfig


@dataclass
class RunSummary:
    path: Path
    metrics: dict
    seconds: float
    interrupted: bool
    pairs: bool = False
    """Whether the run classifies sentence pairs."""


def default_output(spec: DataSpec, method: str) -> Path:
    name = Path(spec.train).parent.name if Path(spec.train).stem in {"train", "data"} else Path(spec.train).stem
    return Path("runs") / f"{name}-{method}-{datetime.now():%Y%m%d-%H%M%S}"


def train_run(
    spec: DataSpec,
    base: str = DEFAULT_BASE,
    config: TrainConfig | None = None,
    output: str | Path | None = None,
    overwrite: bool = False,
    allow_download: bool = False,
    log: Callable[[str], None] = print,
) -> RunSummary:
    """Validate data, fine-tune, evaluate and write a complete run directory."""
    config = config or TrainConfig()
    config.validate()
    started = time.perf_counter()
    lines: list[str] = []

    def note(message: str) -> None:
        lines.append(f"[{datetime.now():%H:%M:%S}] {message}")
        log(message)

    data = load_classification_data(spec)
    for issue in data.issues.warnings:
        note(issue.render())
    resolved = resolve_base(base, allow_download)
    config, method_choice = resolve_method(config, data, resolved, note)
    out = Path(output) if output else default_output(spec, config.method)
    note(f"data: {len(data.train)} train, {len(data.validation)} validation{', ' + str(len(data.test)) + ' test' if data.test else ''} examples, {len(data.label_names)} classes")
    if data.is_pairs:
        note(f"sentence pairs: columns '{data.train.text_column}' + '{data.text_pair_column}', encoded as one pair input")
    note(f"base model: {resolved.name} ({resolved.location})")
    diagnosis = quick_diagnosis(load_tokenizer(resolved), data.train.texts, config.max_length)
    if diagnosis and diagnosis["warning"]:
        note(f"warning: {diagnosis['warning']}")
    trained, per_seed = None, []
    for offset in range(config.seeds):
        seed_config = dataclasses.replace(config, seed=config.seed + offset)
        if config.seeds > 1:
            note(f"seed {seed_config.seed} ({offset + 1} of {config.seeds})")
        candidate = train_classifier(data, resolved, seed_config, note)
        for name, split in data.splits().items():
            if name != "train":
                candidate.metrics[name], candidate.eval_logits[name] = evaluate_split(candidate.model, candidate.tokenizer, split, candidate.label_names, config, candidate.mixed_precision, data.multi_label, data.label_separator, candidate.threshold)
                note(f"{name}: {headline(candidate.metrics[name])}")
        per_seed.append({"seed": seed_config.seed, **{name: {k: m[k] for k in ("accuracy", "macro_f1")} for name, m in candidate.metrics.items()}})
        if trained is None or candidate.loop.best_metric > trained.loop.best_metric:
            trained, kept_seed = candidate, seed_config.seed
    if config.seeds > 1:
        trained.metrics["seeds"] = seed_spread(per_seed, kept_seed)
        for name, spread in trained.metrics["seeds"]["summary"].items():
            note(f"{name} over {config.seeds} seeds: accuracy {spread['accuracy']['mean']:.4f} ± {spread['accuracy']['std']:.4f}, macro-F1 {spread['macro_f1']['mean']:.4f} ± {spread['macro_f1']['std']:.4f} (kept seed {kept_seed})")
    record = run_record(out.name, resolved, spec, data, dataclasses.replace(config, seed=kept_seed), trained)
    seconds = time.perf_counter() - started
    record["result"]["total_seconds"] = round(seconds, 1)
    if method_choice is not None:
        record["train"]["method_choice"] = method_choice
    record["diagnosis"] = diagnosis
    if PartialState().is_main_process:  # under `accelerate launch` the other processes hold the same model
        write_run(out, record, trained, data, lines, overwrite)
    log(f"run written to {out}")
    return RunSummary(out, trained.metrics, seconds, trained.loop.interrupted, data.is_pairs)


def predict_texts(run: Predictor | LoadedRun | str | Path, texts: list[str], batch_size: int = 64, pairs: list[str] | None = None) -> list[dict]:
    """Label(s) and class probabilities for each text (any run format: fp32, int8, ONNX).

    A sentence-pair run needs ``pairs``, the second text of each example (same length as ``texts``).

    Single-label runs give the top label and softmax probabilities; multi-label runs
    give every label whose sigmoid probability reaches the run's tuned threshold
    (``labels``), with ``label`` the most probable one.
    """
    predictor = as_predictor(run)
    check_pairs(predictor.record, texts, pairs)
    if not texts:
        return []
    logits = predictor.predict_logits(list(texts), batch_size, pairs=None if pairs is None else list(pairs))
    names = predictor.label_names
    multi = bool(predictor.record.get("multi_label"))
    probs = sigmoid(logits) if multi else softmax(logits)
    threshold = float(predictor.record.get("threshold") or 0.5)
    results = []
    for row in probs:
        result = {"label": names[int(row.argmax())], "score": float(row.max()), "probabilities": {n: float(p) for n, p in zip(names, row)}}
        if multi:
            result["labels"] = [n for n, p in zip(names, row) if p >= threshold]
        results.append(result)
    return results


def read_labeled_texts(data_path: str | Path, names: list[str], text_column: str | None = None, label_column: str | None = None, encoding: str = "utf-8") -> tuple[list[str], list[int]]:
    """Texts and label indices (into ``names``) of a labeled file; unknown labels are an error."""
    table = read_table(data_path, encoding)
    text_col = pick_column(table, text_column, TEXT_NAMES, "text", "--text-column")
    label_col = pick_column(table, label_column, LABEL_NAMES, "label", "--label-column")
    index = {n: i for i, n in enumerate(names)}
    texts, labels, unknown = [], [], []
    for i, row in enumerate(table.rows):
        text, label = row.get(text_col), label_to_str(row.get(label_col))
        if text is None or not str(text).strip() or label is None:
            continue
        if label not in index:
            unknown.append(table.where(i))
            continue
        texts.append(str(text))
        labels.append(index[label])
    if unknown:
        raise DataError(f"{data_path}: {len(unknown)} row(s) have labels this model does not know (it knows {', '.join(names[:10])}); first at {unknown[0]}. Remove them or use a matching run.")
    if not texts:
        raise DataError(f"{data_path}: no rows with both a text and a label.")
    return texts, labels


def check_pairs(record: dict, texts: list[str], pairs: list[str] | None) -> None:
    """A pair run needs one second text per text; a single-text run takes none."""
    pair_column = recorded_columns(record)[1]
    if pair_column and pairs is None:
        raise ConfigError(f"this run classifies sentence pairs (trained on columns '{recorded_columns(record)[0]}' + '{pair_column}'); give the second text of each, e.g. headstart predict RUN \"first\" --pair \"second\".")
    if not pair_column and pairs is not None:
        raise ConfigError("this run classifies single texts; it was not trained on sentence pairs, so a second text (--pair / text_pair) cannot be used.")
    if pairs is not None and len(pairs) != len(texts):
        raise ConfigError(f"{len(texts)} text(s) but {len(pairs)} second text(s); give one --pair per text.")


def evaluate_pairs(predictor: Predictor, data_path: str | Path, text_column: str | None, label_column: str | None, encoding: str, pair_column: str | None) -> dict:
    """Metrics of a sentence-pair run on a labeled file with both text columns (bad rows are errors naming file:line)."""
    table = read_table(data_path, encoding)
    first, second = eval_columns(table, predictor.record, text_column, pair_column)
    multi = bool(predictor.record.get("multi_label"))
    spec = DataSpec(train=str(data_path), text_column=first, text_pair_column=second, label_column=label_column, encoding=encoding, pair_mode="required", multi_label=multi, label_separator=predictor.record.get("data", {}).get("label_separator", "|"))
    split = load_split(spec)
    names = predictor.label_names
    unknown = sorted({part for label in split.labels for part in spec.parts(label)} - set(names))
    if unknown:
        raise DataError(f"{data_path}: labels this model does not know: {', '.join(unknown[:10])} (it knows {', '.join(names[:10])}). Remove them or use a matching run.")
    logits = predictor.predict_logits(split.texts, pairs=split.pairs)
    if multi:
        return multilabel_metrics(multi_hot([spec.parts(label) for label in split.labels], names), sigmoid(logits), float(predictor.record.get("threshold") or 0.5), names)
    index = {n: i for i, n in enumerate(names)}
    return classification_metrics([index[label] for label in split.labels], np.asarray(logits).argmax(-1), names)


def evaluate_run(run: Predictor | str | Path, data_path: str | Path, text_column: str | None = None, label_column: str | None = None, encoding: str = "utf-8", text_pair_column: str | None = None) -> dict:
    """Metrics of a finished run (any format) on a labeled file (both text columns for a sentence-pair run)."""
    predictor = as_predictor(run)
    names = predictor.label_names
    if recorded_columns(predictor.record)[1]:
        return evaluate_pairs(predictor, data_path, text_column, label_column, encoding, text_pair_column)
    if text_pair_column is not None:
        raise ConfigError("--text-pair-column is for sentence-pair runs; this run classifies single texts.")
    if predictor.record.get("multi_label"):
        spec = DataSpec(train=str(data_path), test=None, text_column=text_column, label_column=label_column, encoding=encoding, multi_label=True, label_separator=predictor.record.get("data", {}).get("label_separator", "|"))
        split = load_split(spec)
        unknown = sorted({p for label in split.labels for p in spec.parts(label)} - set(names))
        if unknown:
            raise DataError(f"{data_path}: labels this model does not know: {', '.join(unknown[:10])}. Remove them or use a matching run.")
        targets = multi_hot([spec.parts(label) for label in split.labels], names)
        probs = sigmoid(predictor.predict_logits(split.texts))
        return multilabel_metrics(targets, probs, float(predictor.record.get("threshold") or 0.5), names)
    texts, labels = read_labeled_texts(data_path, names, text_column, label_column, encoding)
    logits = predictor.predict_logits(texts)
    return classification_metrics(labels, np.asarray(logits).argmax(-1), names)
