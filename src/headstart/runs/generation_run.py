"""Text-to-text run directories: write one atomically, read one back for ``generate``, ``predict`` and ``eval``.

A LoRA run holds the adapter and the tokenizer; the base is reloaded from the
catalog (or its folder) named in headstart.yaml. A full run holds the whole model.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from headstart.catalog.resolve import ResolvedBase
from headstart.data.classification import DataSpec
from headstart.data.text2text import Text2TextData
from headstart.errors import RunDirError
from headstart.runs.atomic import RUN_MARKER, StagedDirectory, atomic_write_json, atomic_write_text
from headstart.runs.environment import library_versions, machine
from headstart.runs.generation_card import render_generation_card
from headstart.runs.load import read_record
from headstart.runs.write import base_record
from headstart.tasks.generation import GenerationOptions
from headstart.tasks.text2text import TrainedGenerator
from headstart.training.config import TrainConfig

TASK = "text2text-generation"


def generation_record(run_name: str, base: ResolvedBase, spec: DataSpec, data: Text2TextData, config: TrainConfig, options: GenerationOptions, trained: TrainedGenerator) -> dict[str, Any]:
    """The fully resolved configuration and context of a text-to-text run (saved as headstart.yaml)."""
    train = {k: str(v) if isinstance(v, str) else v for k, v in config.to_dict().items()}
    train["learning_rate"] = config.resolved_learning_rate()
    return {
        "headstart_run": 1,
        "task": TASK,
        "run_name": run_name,
        "base": base_record(base),
        "model_kind": trained.kind,
        "data": {
            **dataclasses.asdict(spec),
            "name": Path(spec.train).parent.name or Path(spec.train).stem,
            "input_column": data.input_column,
            "target_column": data.target_column,
            "validation_from_train": data.validation_from_train,
            "sizes": {name: len(split) for name, split in data.splits().items()},
        },
        "train": train,
        "generation": {**dataclasses.asdict(options), "prompt_template": trained.template, "stop": trained.stop},
        "mixed_precision": trained.mixed_precision,
        "parameters": {"trainable": trained.trainable_parameters, "total": trained.total_parameters},
        "truncated": trained.truncated,
        "result": {k: v for k, v in dataclasses.asdict(trained.loop).items() if k != "history"},
        "data_warnings": [issue.render().replace("\n", " ") for issue in data.issues.warnings],
        "versions": {**library_versions(), "rouge-score": _version("rouge-score")},
        "machine": machine(),
    }


def _version(name: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def write_generation_run(output: Path, record: dict[str, Any], trained: TrainedGenerator, data: Text2TextData, log_lines: list[str], overwrite: bool = False) -> Path:
    """Write model (or adapter), tokenizer, metrics, predictions, log and card into ``output`` atomically."""
    with StagedDirectory(output, overwrite) as stage:
        trained.model.save_pretrained(stage, safe_serialization=True)
        trained.tokenizer.save_pretrained(stage)
        atomic_write_json(stage / "metrics.json", {**trained.metrics, "history": trained.loop.history})
        for split, predictions in trained.predictions.items():
            pairs = data.splits()[split]
            lines = (json.dumps({"source": src, "input": i, "target": t, "prediction": p}, ensure_ascii=False) for src, i, t, p in zip(pairs.sources, pairs.inputs, pairs.targets, predictions))
            atomic_write_text(stage / f"predictions_{split}.jsonl", "\n".join(lines) + "\n")
        atomic_write_text(stage / "train.log", "\n".join(log_lines) + "\n")
        atomic_write_text(stage / "README.md", render_generation_card(record, trained.metrics))
        # Written last: its presence marks the run as complete.
        atomic_write_text(stage / RUN_MARKER, yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
    return output


@dataclass
class GenerationRun:
    """A text-to-text run loaded for inference."""

    path: Path
    record: dict[str, Any]
    model: Any
    tokenizer: Any

    @property
    def template(self) -> str:
        return self.record["generation"]["prompt_template"]

    @property
    def stop(self) -> str | None:
        return self.record["generation"].get("stop")

    @property
    def max_input_tokens(self) -> int:
        return int(self.record["train"]["max_length"])

    @property
    def max_new_tokens(self) -> int:
        return int(self.record["generation"]["max_new_tokens"])


def is_generation_run(path: str | Path) -> bool:
    """True when ``path`` is a complete run whose task is text-to-text generation."""
    return read_record(Path(path)).get("task") == TASK


def load_generation_run(path: str | Path) -> GenerationRun:
    """Load a text-to-text run (safetensors only, no remote code): the full model, or its base plus the adapter."""
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    from headstart.catalog.resolve import resolve_base
    from headstart.models.generator import DECODER, load_generation_adapter, load_generator
    from headstart.models.loading import quiet_transformers

    path = Path(path)
    record = read_record(path)
    if record.get("task") != TASK:
        raise RunDirError(f"{path}: a '{record.get('task')}' run, not a text-to-text one; 'headstart generate' needs a run trained with --task text2text.")
    quiet_transformers()
    kind = record["model_kind"]
    if (path / "adapter_config.json").is_file():
        model = load_generation_adapter(load_generator(resolve_base(record["base"]["name"]), kind), path)
    else:
        auto = AutoModelForCausalLM if kind == DECODER else AutoModelForSeq2SeqLM
        model = auto.from_pretrained(path, local_files_only=True, trust_remote_code=False, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    model.eval()
    return GenerationRun(path, record, model, tokenizer)
