"""``compress``: write int8 / ONNX copies of a run as new run directories, measured against the original."""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from headstart.deploy.backends import FP32, INT8, ONNX, ONNX_FILE, ONNX_INT8, Predictor, TorchPredictor, load_predictor, predictor_from_folder
from headstart.deploy.measure import Measurement, measure, render_table, timing_texts
from headstart.errors import ConfigError
from headstart.runs.atomic import RUN_MARKER, StagedDirectory, atomic_write_json, atomic_write_text
from headstart.runs.environment import library_versions, machine

DESCRIPTIONS = {
    INT8: "dynamic int8 quantization of every Linear layer (torch); embeddings and LayerNorms stay fp32",
    ONNX: "ONNX export (torch.onnx) run by ONNX Runtime, fp32 weights",
    ONNX_INT8: "ONNX export with ONNX Runtime's dynamic int8 quantization of MatMul weights",
}


@dataclass
class CompressOptions:
    """Formats to write, and what to measure them on."""

    int8: bool = False
    """Write a torch dynamic-int8 copy (RUN_DIR-int8)."""
    onnx: bool = False
    """Write an ONNX Runtime copy (RUN_DIR-onnx)."""
    onnx_int8: bool = False
    """Write an int8-quantized ONNX Runtime copy (RUN_DIR-onnx-int8)."""
    output: str | None = None
    """Output folder (only with a single format) [default: RUN_DIR-FORMAT beside the run]."""
    overwrite: bool = False
    """Replace output folders that already exist."""
    eval_data: str | None = None
    """Labeled file to measure accuracy on (e.g. the test split) [default: timing only, on built-in texts]."""
    text_column: str | None = None
    """Text column of --eval-data [default: detected]."""
    label_column: str | None = None
    """Label column of --eval-data [default: detected]."""
    encoding: str = "utf-8"
    """Encoding of --eval-data."""
    batch_size: int = 32
    """Texts per forward pass when measuring throughput."""

    def formats(self) -> list[str]:
        return [name for name, on in ((INT8, self.int8), (ONNX, self.onnx), (ONNX_INT8, self.onnx_int8)) if on]

    def validate(self) -> None:
        errors = []
        if not self.formats():
            errors.append("choose at least one format: --int8, --onnx or --onnx-int8 (several may be given), or a student with --distill-to BASE.")
        if self.output and len(self.formats()) > 1:
            errors.append(f"--output names one folder but {len(self.formats())} formats were asked for; drop --output (each goes to RUN_DIR-FORMAT) or give one format.")
        if self.batch_size < 1:
            errors.append(f"--batch-size must be at least 1; got {self.batch_size}.")
        if errors:
            raise ConfigError(" ".join(errors))


@dataclass
class CompressResult:
    outputs: dict[str, Path]
    rows: list[Measurement] = field(default_factory=list)

    @property
    def table(self) -> str:
        return render_table(self.rows)


def _write_model(fmt: str, source: TorchPredictor, stage: Path, cache: Path) -> None:
    from headstart.deploy.onnx_export import export_onnx, quantize_onnx_int8
    from headstart.deploy.quantize import save_int8

    if fmt == INT8:
        save_int8(source.model, stage)
        return
    exported = cache / ONNX_FILE
    if not exported.exists():
        export_onnx(source.model, exported)
    source.model.config.save_pretrained(stage)
    if fmt == ONNX:
        shutil.copyfile(exported, stage / ONNX_FILE)
    else:
        quantize_onnx_int8(exported, stage / ONNX_FILE)


def _record(source: Predictor, fmt: str, name: str, row: Measurement) -> dict[str, Any]:
    record = copy.deepcopy(source.record)
    record["run_name"] = name
    record["deploy"] = {
        "format": fmt,
        "description": DESCRIPTIONS[fmt],
        "source_run": str(Path(source.path).resolve()),
        "source_run_name": source.record.get("run_name"),
        "created": f"{datetime.now():%Y-%m-%dT%H:%M:%S}",
        "measurement": row.to_dict(),
        "versions": library_versions() | _onnx_versions(fmt),
        "machine": machine(),
    }
    return record


def _onnx_versions(fmt: str) -> dict[str, str]:
    if fmt not in (ONNX, ONNX_INT8):
        return {}
    import onnx
    import onnxruntime

    return {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}


def _card(name: str, fmt: str, source: Predictor, rows: list[Measurement], measured_on: str) -> str:
    original = (Path(source.path) / "README.md").read_text(encoding="utf-8") if (Path(source.path) / "README.md").is_file() else ""
    return (
        f"# {name}\n\n"
        f"A {fmt} copy of the headstart run `{source.record.get('run_name')}`: {DESCRIPTIONS[fmt]}.\n"
        f"Use it with `headstart predict`, `headstart eval` or `headstart serve`; plain transformers cannot load it.\n\n"
        f"## Compared with the original\n\nMeasured on {measured_on}.\n\n{render_table(rows)}\n\n"
        f"## Card of the original run\n\n{original}"
    )


def compress_run(run_dir: str | Path, options: CompressOptions, log: Callable[[str], None] = print) -> CompressResult:
    """Write each requested format as its own run directory and measure it against the original."""
    options.validate()
    run_dir = Path(run_dir)
    source = load_predictor(run_dir)
    if source.format != FP32 or not isinstance(source, TorchPredictor):
        raise ConfigError(f"{run_dir} is already a {source.format} run; compress the original fp32 run (deploy.source_run in its headstart.yaml).")
    targets = {fmt: Path(options.output) if options.output else run_dir.parent / f"{run_dir.name}-{fmt}" for fmt in options.formats()}
    taken = [str(path) for path in targets.values() if path.exists()]
    if taken and not options.overwrite:
        raise ConfigError(f"output folder {' and '.join(taken)} already exists; pass --overwrite to replace it, or --output to choose another (one format at a time).")
    labels: list[int] | None = None
    if options.eval_data and (source.record.get("data") or {}).get("text_pair_column"):
        raise ConfigError(f"{run_dir} classifies sentence pairs; compress does not measure pair accuracy yet (it reads one text column). Omit --eval-data, then check a compressed run with 'headstart eval COMPRESSED_RUN FILE'.")
    if options.eval_data:
        from headstart.api import read_labeled_texts

        texts, labels = read_labeled_texts(options.eval_data, source.label_names, options.text_column, options.label_column, options.encoding)
        measured_on = f"{len(texts)} labeled texts of {options.eval_data}"
    else:
        texts = timing_texts()
        measured_on = f"{len(texts)} built-in sample texts (no --eval-data, so no accuracy)"
    measured_on += f", batch size {options.batch_size}, {machine().get('cpu', 'CPU')}"
    log(f"measuring the original ({source.format}) on {len(texts)} texts")
    reference, reference_labels = measure(run_dir.name, source, texts, labels, batch_size=options.batch_size)
    reference.agreement = 1.0
    result = CompressResult({}, [reference])
    with tempfile.TemporaryDirectory(prefix="headstart-compress-") as cache:
        for fmt in options.formats():
            out = targets[fmt]
            log(f"writing {fmt} copy to {out}")
            with StagedDirectory(out, options.overwrite) as stage:
                _write_model(fmt, source, stage, Path(cache))
                source.tokenizer.save_pretrained(stage)
                draft = {**source.record, "deploy": {"format": fmt}}
                row, _ = measure(out.name, predictor_from_folder(stage, draft), texts, labels, np.asarray(reference_labels), options.batch_size)
                record = _record(source, fmt, out.name, row)
                atomic_write_json(stage / "compression.json", {"measured_on": measured_on, "rows": [reference.to_dict(), row.to_dict()]})
                atomic_write_text(stage / "README.md", _card(out.name, fmt, source, [reference, row], measured_on))
                atomic_write_text(stage / RUN_MARKER, yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
            result.outputs[fmt] = out
            result.rows.append(row)
    log(result.table)
    return result


def read_compression(run_dir: str | Path) -> dict[str, Any] | None:
    """The measurement table a compressed run holds, if any."""
    path = Path(run_dir) / "compression.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
