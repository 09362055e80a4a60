"""Read a finished run directory back: model, tokenizer, labels and its record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from headstart.errors import RunDirError
from headstart.runs.atomic import RUN_MARKER


@dataclass
class LoadedRun:
    path: Path
    record: dict[str, Any]
    model: Any
    tokenizer: Any

    @property
    def label_names(self) -> list[str]:
        config = self.model.config
        return [config.id2label[i] for i in range(config.num_labels)]

    @property
    def max_length(self) -> int:
        return int(self.record.get("train", {}).get("max_length", 512))


def read_record(path: Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise RunDirError(f"{path}: no such run directory. Give the folder a 'headstart train' run wrote (it holds {RUN_MARKER}).")
    marker = path / RUN_MARKER
    if not marker.is_file():
        partial = path.parent / f".{path.name}.partial"
        hint = f" An unfinished run is at {partial}." if partial.exists() else ""
        raise RunDirError(f"{path}: not a complete headstart run (no {RUN_MARKER}).{hint} Give the folder a finished 'headstart train' wrote.")
    return yaml.safe_load(marker.read_text(encoding="utf-8"))


def load_run(path: str | Path) -> LoadedRun:
    """Load a run for inference (safetensors only, no remote code)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from headstart.models.loading import quiet_transformers

    path = Path(path)
    record = read_record(path)
    if record.get("task") == "token-classification":
        # Loading it as a sequence classifier would silently give a random head.
        raise RunDirError(f"{path} is a token-classification (NER) run: use 'headstart predict', 'eval' or 'serve' on it, or headstart.api_tokens.load_token_run.")
    quiet_transformers()
    if (path / "adapter_config.json").is_file():
        model = _load_adapter_run(path, record)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True, trust_remote_code=False, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    model.eval()
    return LoadedRun(path, record, model, tokenizer)


def _load_adapter_run(path: Path, record: dict[str, Any]):
    """Rebuild the base classifier the run started from, then attach its adapter and saved head."""
    from headstart.catalog.resolve import resolve_base
    from headstart.models.classifier import build_classifier
    from headstart.models.lora import load_lora

    base = resolve_base(record["base"]["name"])
    model = build_classifier(base, record["labels"], pooling=record["train"].get("pooling", "auto"))
    return load_lora(model, path)
