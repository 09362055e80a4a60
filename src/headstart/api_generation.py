"""Python API for text-to-text generation: train a run, generate with it, score it.

    from headstart.api_generation import train_text2text_run, generate_from_run
    summary = train_text2text_run(DataSpec(train="pairs.jsonl"), "smollm2-135m", TrainConfig(method="lora", epochs=1))
    generate_from_run(summary.path, ["a long input ..."])
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from headstart.api import RunSummary
from headstart.catalog.resolve import resolve_base
from headstart.data.classification import DataSpec
from headstart.data.issues import IssueLog
from headstart.data.readers import read_table
from headstart.data.text2text import extract_pairs, load_text2text_data
from headstart.evaluation.generation import generation_headline, generation_metrics
from headstart.runs.generation_run import GenerationRun, generation_record, load_generation_run, write_generation_run
from headstart.tasks.generation import GenerationOptions, generate_texts, render_prompts
from headstart.tasks.text2text import describe_kind, predict_split, resolve_generation_method, train_text2text
from headstart.training.config import TrainConfig


def default_generation_output(spec: DataSpec, method: str) -> Path:
    name = Path(spec.train).parent.name if Path(spec.train).stem in {"train", "data"} else Path(spec.train).stem
    return Path("runs") / f"{name}-text2text-{method}-{datetime.now():%Y%m%d-%H%M%S}"


def train_text2text_run(
    spec: DataSpec,
    base: str,
    config: TrainConfig,
    options: GenerationOptions | None = None,
    output: str | Path | None = None,
    overwrite: bool = False,
    allow_download: bool = False,
    log: Callable[[str], None] = print,
) -> RunSummary:
    """Validate pairs, fine-tune, generate on the held-out split(s) and write a complete run directory.

    The test split (when given) is generated and scored; otherwise the validation split is.
    """
    options = options or GenerationOptions()
    config = resolve_generation_method(config)
    config.validate()
    options.validate()
    started = time.perf_counter()
    lines: list[str] = []

    def note(message: str) -> None:
        lines.append(f"[{datetime.now():%H:%M:%S}] {message}")
        log(message)

    data = load_text2text_data(spec, options.target_column)
    for issue in data.issues.warnings:
        note(issue.render())
    resolved = resolve_base(base, allow_download)
    out = Path(output) if output else default_generation_output(spec, config.method)
    note(f"data: {len(data.train)} train, {len(data.validation)} validation{', ' + str(len(data.test)) + ' test' if data.test else ''} pairs ('{data.input_column}' → '{data.target_column}')")
    note(f"base model: {resolved.name} ({resolved.location})")
    trained = train_text2text(data, resolved, config, options, note)
    note(f"model: {describe_kind(trained.kind)}; best epoch {trained.loop.best_epoch}, validation loss {-trained.loop.best_metric if options.select_by == 'loss' else float('nan'):.4f}")
    scored = "test" if data.test is not None else "validation"
    trained.metrics[scored], trained.predictions[scored] = predict_split(trained, data.splits()[scored], config, options)
    note(f"{scored}: {generation_headline(trained.metrics[scored])}")
    best = next((h for h in trained.loop.history if h["epoch"] == trained.loop.best_epoch), None)
    if best is not None:
        trained.metrics.setdefault("validation", {})["loss"] = best["val_loss"]
    record = generation_record(out.name, resolved, spec, data, config, options, trained)
    seconds = time.perf_counter() - started
    record["result"]["total_seconds"] = round(seconds, 1)
    write_generation_run(out, record, trained, data, lines, overwrite)
    log(f"run written to {out}")
    return RunSummary(out, trained.metrics, seconds, trained.loop.interrupted)


def generate_from_run(run: GenerationRun | str | Path, inputs: list[str], max_new_tokens: int | None = None, batch_size: int = 16) -> list[str]:
    """Greedy generations of a text-to-text run for ``inputs`` (its prompt template, truncation and stop string)."""
    loaded = run if isinstance(run, GenerationRun) else load_generation_run(run)
    prompts, _ = render_prompts(loaded.tokenizer, loaded.template, list(inputs), loaded.max_input_tokens)
    return generate_texts(loaded.model, loaded.tokenizer, prompts, max_new_tokens or loaded.max_new_tokens, batch_size, loaded.stop)


def evaluate_generation_run(run: GenerationRun | str | Path, data_path: str | Path, input_column: str | None = None, target_column: str | None = None, encoding: str = "utf-8", batch_size: int = 16) -> dict:
    """ROUGE-1/2/L and exact match of a text-to-text run on a file of input/target pairs (empty rows are errors)."""
    loaded = run if isinstance(run, GenerationRun) else load_generation_run(run)
    log = IssueLog()
    pairs, _, _ = extract_pairs(read_table(data_path, encoding), input_column, target_column, log, "test")
    log.raise_if_errors()
    predictions = generate_from_run(loaded, pairs.inputs, batch_size=batch_size)
    return generation_metrics(predictions, pairs.targets)
