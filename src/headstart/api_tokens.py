"""Python API for token classification (NER): train, predict character spans, evaluate.

    from headstart.api_tokens import train_token_run, predict_entities
    run = train_token_run(TokenFiles(train="eng.train", validation="eng.testa"), output="runs/ner")
    predict_entities(run.path, ["Peter Blackburn met EU officials in Brussels."])
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from headstart.catalog.entries import DEFAULT_BASE
from headstart.catalog.resolve import resolve_base
from headstart.data.tokens import TokenOptions, read_tagged_file
from headstart.errors import ConfigError, DataError
from headstart.evaluation.entities import entity_headline, entity_metrics
from headstart.models.tagger import load_tagger
from headstart.runs.load import read_record
from headstart.runs.tokens_run import TokenFiles, is_token_run, token_run_record, write_token_run
from headstart.tasks.tokens import check_config, resolve_token_method, evaluate_sentences, predict_spans, predict_word_tags, train_tagger
from headstart.training.config import TrainConfig


@dataclass
class TokenRunSummary:
    path: Path
    metrics: dict
    seconds: float
    interrupted: bool


def default_token_output(files: TokenFiles, method: str) -> Path:
    stem = Path(files.train).stem
    name = Path(files.train).parent.name if stem in {"train", "data", "eng"} or len(stem) < 3 else stem
    return Path("runs") / f"{name}-ner-{method}-{datetime.now():%Y%m%d-%H%M%S}"


def train_token_run(
    files: TokenFiles,
    options: TokenOptions | None = None,
    base: str = DEFAULT_BASE,
    config: TrainConfig | None = None,
    output: str | Path | None = None,
    overwrite: bool = False,
    allow_download: bool = False,
    log: Callable[[str], None] = print,
) -> TokenRunSummary:
    """Validate tagged data, fine-tune a token classifier, score every split and write a run directory."""
    from headstart.data.tokens import load_token_data

    options = options or TokenOptions()
    config = config or TrainConfig()
    config.validate()
    check_config(config)
    started = time.perf_counter()
    lines: list[str] = []

    def note(message: str) -> None:
        lines.append(f"[{datetime.now():%H:%M:%S}] {message}")
        log(message)

    config = resolve_token_method(config, note)

    data = load_token_data(files.train, files.validation, files.test, options, files.encoding, files.validation_fraction, files.split_seed)
    for issue in data.issues.warnings:
        note(issue.render())
    resolved = resolve_base(base, allow_download)
    out = Path(output) if output else default_token_output(files, config.method)
    counts = ", ".join(f"{len(split)} {name}" for name, split in data.splits().items())
    note(f"data: {counts} sentences; entity types {', '.join(data.entity_types)}; tags read as {', '.join(f'{k} {v.upper()}' for k, v in data.schemes.items())}, converted to BIO")
    note(f"base model: {resolved.name} ({resolved.location})")
    trained = train_tagger(data, resolved, config, options, note)
    for name, split in data.splits().items():
        if name != "train":
            trained.metrics[name] = evaluate_sentences(trained.model, trained.tokenizer, split, config, trained.mixed_precision)
            note(f"{name}: {entity_headline(trained.metrics[name])}")
    record = token_run_record(out.name, resolved, files, options, data, config, trained)
    seconds = time.perf_counter() - started
    record["result"]["total_seconds"] = round(seconds, 1)
    write_token_run(out, record, trained, lines, overwrite)
    log(f"run written to {out}")
    return TokenRunSummary(out, trained.metrics, seconds, trained.loop.interrupted)


@dataclass
class LoadedTagger:
    """A finished token-classification run, ready for inference."""

    path: Path
    record: dict
    model: object
    tokenizer: object

    format: str = "fp32"
    """What ``serve`` shows; token runs are served as written by training (not compressed)."""

    @property
    def max_length(self) -> int:
        return int(self.record.get("train", {}).get("max_length", 512))

    @property
    def label_names(self) -> list[str]:
        config = self.model.config
        return [config.id2label[i] for i in range(config.num_labels)]


def load_token_run(path: str | Path) -> LoadedTagger:
    """Load a run written by ``train --task tokens``; other runs are refused with a clear message."""
    path = Path(path)
    record = read_record(path)
    if not is_token_run(record):
        raise ConfigError(f"{path} is a {record.get('task', 'text-classification')} run, not a token-classification (NER) run.")
    model, tokenizer = load_tagger(path)
    return LoadedTagger(path, record, model, tokenizer)


def _as_tagger(run: LoadedTagger | str | Path) -> LoadedTagger:
    return run if isinstance(run, LoadedTagger) else load_token_run(run)


def predict_entities(run: LoadedTagger | str | Path, texts: list[str], batch_size: int = 64) -> list[list[dict]]:
    """Entities of each text as ``{start, end, label, text, score}`` character spans (``text[start:end]`` is the entity)."""
    tagger = _as_tagger(run)
    return predict_spans(tagger.model, tagger.tokenizer, list(texts), tagger.max_length, batch_size)


def entity_predictions(run: LoadedTagger | str | Path, texts: list[str], batch_size: int = 64) -> list[dict]:
    """``{"entities": [...]}`` per text: the shape ``serve`` returns for token runs."""
    return [{"entities": found} for found in predict_entities(run, texts, batch_size)]


def evaluate_token_run(run: LoadedTagger | str | Path, data_path: str | Path, tag_scheme: str = "auto", encoding: str = "utf-8", batch_size: int = 64) -> dict:
    """Entity-level P/R/F1 (overall and per type) of a token run on a tagged file (CoNLL or JSONL)."""
    tagger = _as_tagger(run)
    split, _ = read_tagged_file(data_path, tag_scheme, encoding, name="evaluation")
    known = {t[2:] for t in tagger.label_names if t != "O"}
    unknown = sorted({t[2:] for tags in split.tags for t in tags if t != "O"} - known)
    if unknown:
        raise DataError(f"{data_path}: entity types this model does not know: {', '.join(unknown[:10])} (it knows {', '.join(sorted(known))}). Use a matching run or remove them.")
    predicted, _ = predict_word_tags(tagger.model, tagger.tokenizer, split.words, tagger.max_length, batch_size)
    return entity_metrics(split.tags, predicted)
