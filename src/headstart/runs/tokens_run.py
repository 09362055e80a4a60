"""Write and read token-classification (NER) run directories.

Same layout and guarantees as a classification run (runs/write.py): the model
and tokenizer in transformers format, ``headstart.yaml`` (written last: the run is
complete), ``metrics.json``, ``train.log`` and a ``README.md`` model card; the
whole folder appears in one rename.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from headstart.catalog.resolve import ResolvedBase
from headstart.data.tokens import TaggedSentences, TokenData, TokenOptions
from headstart.evaluation.entities import entities
from headstart.runs.atomic import RUN_MARKER, StagedDirectory, atomic_write_json, atomic_write_text
from headstart.runs.card_tokens import render_token_card
from headstart.runs.environment import library_versions, machine
from headstart.runs.write import base_record
from headstart.tasks.tokens import SELECTION_METRIC, TrainedTagger
from headstart.training.config import TrainConfig

TASK = "token-classification"
"""``task`` in headstart.yaml (the transformers pipeline name)."""


@dataclasses.dataclass
class TokenFiles:
    """The data files of a token run and how they were read."""

    train: str
    validation: str | None = None
    test: str | None = None
    encoding: str = "utf-8"
    validation_fraction: float = 0.15
    split_seed: int = 13


def split_counts(split: TaggedSentences) -> dict[str, Any]:
    """Sentences, tokens and entities per type of one split (for the card and the record)."""
    types = Counter(kind for tags in split.tags for kind, _, _ in entities(tags))
    return {"sentences": len(split), "tokens": split.n_tokens(), "entities": sum(types.values()), "per_type": dict(sorted(types.items()))}


def token_run_record(run_name: str, base: ResolvedBase, files: TokenFiles, options: TokenOptions, data: TokenData, config: TrainConfig, trained: TrainedTagger) -> dict[str, Any]:
    """The fully resolved configuration and context of a token run (saved as headstart.yaml)."""
    train = config.to_dict()
    train["learning_rate"] = config.resolved_learning_rate()
    train["head_learning_rate"] = config.resolved_head_learning_rate()
    train["selection_metric"] = f"validation entity {SELECTION_METRIC} (micro, seqeval conventions)"
    train["label_all_subwords"] = options.label_all_subwords
    return {
        "headstart_run": 1,
        "task": TASK,
        "run_name": run_name,
        "base": base_record(base),
        "data": {
            **dataclasses.asdict(files),
            "name": Path(files.train).parent.name or Path(files.train).stem,
            "validation_from_train": data.validation_from_train,
            "tag_scheme": options.tag_scheme,
            "schemes_read": data.schemes,
            "converted_to": "BIO (IOB2)",
            "max_train_sentences": options.max_train_sentences,
            "max_validation_sentences": options.max_validation_sentences,
            "splits": {name: split_counts(split) for name, split in data.splits().items()},
        },
        "train": train,
        "labels": trained.tag_names,
        "entity_types": data.entity_types,
        "mixed_precision": trained.mixed_precision,
        "parameters": {"trainable": trained.trainable_parameters, "total": trained.total_parameters},
        "truncated_sentences": trained.truncated,
        "result": {k: v for k, v in dataclasses.asdict(trained.loop).items() if k != "history"},
        "data_warnings": [issue.render().replace("\n", " ") for issue in data.issues.warnings],
        "versions": library_versions(),
        "machine": machine(),
    }


def write_token_run(output: Path, record: dict[str, Any], trained: TrainedTagger, log_lines: list[str], overwrite: bool = False) -> Path:
    """Write everything into ``output`` atomically and return it."""
    metrics = dict(trained.metrics)
    metrics["history"] = trained.loop.history
    with StagedDirectory(output, overwrite) as stage:
        trained.model.save_pretrained(stage, safe_serialization=True)
        trained.tokenizer.save_pretrained(stage)
        atomic_write_json(stage / "metrics.json", metrics)
        atomic_write_text(stage / "train.log", "\n".join(log_lines) + "\n")
        atomic_write_text(stage / "README.md", render_token_card(record, trained.metrics))
        # Written last: its presence marks the run as complete.
        atomic_write_text(stage / RUN_MARKER, yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
    return output


def is_token_run(record: dict[str, Any]) -> bool:
    return record.get("task") == TASK
