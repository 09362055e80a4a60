"""``compress --distill-to``: train a smaller student to imitate a fine-tuned teacher run.

The teacher predicts every training text (and any unlabeled texts) once; the
student then trains through the one training loop (:func:`headstart.training.loop.fit`)
with :func:`distillation_step`: KL divergence to the teacher's softened
probabilities, plus cross-entropy to the gold label where a text has one. Only the
logits are shared, so teacher and student may use different tokenizers, and the
teacher may be any run format (fp32, int8, ONNX).

The student is a catalog base or local model folder (a new head is trained), or
``teacher``: a copy of the teacher keeping ``--student-layers`` of its encoder
layers (first and last kept, the rest evenly spaced, as DistilBERT was initialised).
"""

from __future__ import annotations

import copy
import random
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import yaml

from headstart.deploy.backends import Predictor, TorchPredictor, load_predictor
from headstart.deploy.measure import Measurement, measure, render_table
from headstart.deploy.student import TEACHER, build_student
from headstart.errors import ConfigError, DataError

if TYPE_CHECKING:  # torch is imported where it is used, so `headstart --help` stays fast
    import torch
    from torch import nn



@dataclass
class DistillOptions:
    """Knowledge distillation into a smaller student (with --distill-to)."""

    distill_to: str | None = None
    """Student to train: a catalog name (e.g. bert-tiny-mlm), a local model folder, or 'teacher' (the teacher with fewer layers, see --student-layers)."""
    student_layers: int | None = None
    """With --distill-to teacher: encoder layers the student keeps [default: half of the teacher's]."""
    data: str | None = None
    """Labeled training file [default: the teacher's training data named in its headstart.yaml]."""
    unlabeled: str | None = None
    """File of extra texts without labels (.txt one per line, .csv/.tsv/.jsonl/.parquet with a text column); the teacher labels them."""
    max_unlabeled: int = 0
    """Use a random sample of this many unlabeled texts (0: all)."""
    temperature: float = 2.0
    """Softmax temperature of the soft labels (higher: more of the teacher's ranking of wrong classes is taught)."""
    soft_weight: float = 0.5
    """On labeled texts: weight of the teacher's soft labels against the gold label (1: soft only). Unlabeled texts use soft labels only."""
    epochs: int = 4
    """Maximum passes over the distillation texts."""
    learning_rate: float = 1e-4
    """Peak learning rate of the student's encoder."""
    head_learning_rate: float | None = None
    """Learning rate of the student's output layer [default: 10x --learning-rate for a new head, equal for --distill-to teacher]."""
    train_batch_size: int = 32
    """Texts per optimizer step while distilling."""
    max_length: int | None = None
    """Tokens per text [default: the teacher's]."""
    patience: int = 2
    """Stop after this many epochs without better validation accuracy."""
    seed: int = 42
    """Seed of the student's head, batch order, dropout and the unlabeled sample."""
    precision: str = "auto"
    """'auto', 'fp32' or 'bf16' (as in train)."""

    def validate(self) -> None:
        errors = []
        if not self.distill_to:
            errors.append("--distill-to needs a student: a catalog name (see 'headstart models'), a local model folder, or 'teacher'.")
        if self.student_layers is not None and self.distill_to != TEACHER:
            errors.append(f"--student-layers only applies with --distill-to teacher; got --distill-to {self.distill_to}.")
        if self.student_layers is not None and self.student_layers < 1:
            errors.append(f"--student-layers must be at least 1; got {self.student_layers}.")
        if self.temperature <= 0:
            errors.append(f"--temperature must be above 0; got {self.temperature}.")
        if not 0 <= self.soft_weight <= 1:
            errors.append(f"--soft-weight must be between 0 and 1; got {self.soft_weight}.")
        for flag, value in (("--epochs", self.epochs), ("--train-batch-size", self.train_batch_size)):
            if value < 1:
                errors.append(f"{flag} must be at least 1; got {value}.")
        if self.max_unlabeled < 0:
            errors.append(f"--max-unlabeled must be 0 (all) or more; got {self.max_unlabeled}.")
        if self.learning_rate <= 0:
            errors.append(f"--learning-rate must be above 0; got {self.learning_rate}.")
        if self.precision not in ("auto", "fp32", "bf16"):
            errors.append(f"--precision must be auto, fp32 or bf16; got '{self.precision}'.")
        if errors:
            raise ConfigError(" ".join(errors))


def distillation_step(teacher_logits: torch.Tensor, gold: torch.Tensor, temperature: float, soft_weight: float) -> Callable[[nn.Module, dict[str, torch.Tensor]], torch.Tensor]:
    """A step for :func:`fit`: the batch's ``labels`` are example indices into the precomputed tensors.

    Per example: ``soft_weight * T² * KL(teacher_T || student_T) + (1 - soft_weight) * CE(gold)``
    where a gold label exists (``gold >= 0``), the soft term alone otherwise. The T²
    factor keeps the soft gradients' scale independent of T (Hinton et al. 2015).
    """

    import torch
    from torch import nn

    def step(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        index = batch["labels"].cpu()
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        logits = model(**inputs).logits.float()
        target = torch.softmax(teacher_logits[index].to(logits.device) / temperature, dim=-1)
        log_student = torch.log_softmax(logits / temperature, dim=-1)
        soft = (target * (torch.log(target.clamp_min(1e-12)) - log_student)).sum(-1) * temperature**2
        labels = gold[index].to(logits.device)
        has_gold = labels >= 0
        hard = nn.functional.cross_entropy(logits, labels.clamp_min(0), reduction="none")
        per_example = torch.where(has_gold, soft_weight * soft + (1 - soft_weight) * hard, soft)
        return per_example.mean()

    return step


@dataclass
class DistillTexts:
    """Texts the student learns from: gold label index per text, -1 where the text has none."""

    texts: list[str]
    gold: list[int]
    validation_texts: list[str]
    validation_gold: list[int]
    test_texts: list[str] | None
    test_gold: list[int] | None
    source: str
    unlabeled_used: int = 0
    unlabeled_dropped_as_eval: int = 0


def _teacher_spec(record: dict[str, Any], data: str | None):
    from headstart.data.classification import DataSpec

    stored = dict(record.get("data") or {})
    fields = set(DataSpec.__dataclass_fields__)
    spec = DataSpec(**{k: v for k, v in stored.items() if k in fields}) if stored.get("train") else None
    if data:
        spec = DataSpec(train=data, **{k: v for k, v in stored.items() if k in fields and k not in ("train", "validation", "test")}) if spec else DataSpec(train=data)
    if spec is None or not Path(spec.train).is_file():
        found = spec.train if spec else "nothing"
        raise DataError(f"the teacher's training data is needed to distill, and its headstart.yaml names {found}, which is not a file here. Pass it with --data PATH.")
    return spec


def read_unlabeled(path: str | Path, encoding: str = "utf-8") -> list[str]:
    """Non-empty texts of a file: .txt is one text per line; tables use their text column."""
    from headstart.data.columns import TEXT_NAMES, pick_column
    from headstart.data.readers import read_table

    path = Path(path)
    if not path.is_file():
        raise DataError(f"--unlabeled {path}: no such file. Give a .txt file with one text per line, or a .csv/.tsv/.jsonl/.parquet file with a text column.")
    if path.suffix.lower() == ".txt":
        texts = [line.strip() for line in path.read_text(encoding=encoding).splitlines()]
    else:
        table = read_table(path, encoding)
        column = pick_column(table, None, TEXT_NAMES, "text", "--unlabeled's text column (rename it to 'text')")
        texts = ["" if row.get(column) is None else str(row.get(column)).strip() for row in table.rows]
    texts = [t for t in texts if t]
    if not texts:
        raise DataError(f"--unlabeled {path}: no non-empty texts found.")
    return texts


def collect_texts(record: dict[str, Any], label_names: list[str], options: DistillOptions, log: Callable[[str], None]) -> DistillTexts:
    """The teacher's labeled splits (same split as at training) plus the unlabeled texts, deduplicated against evaluation texts."""
    from headstart.data.classification import load_classification_data

    spec = _teacher_spec(record, options.data)
    data = load_classification_data(spec)
    if data.is_pairs or data.multi_label:
        raise ConfigError("distillation supports single-text, single-label classification runs; this teacher is " + ("a sentence-pair run." if data.is_pairs else "multi-label."))
    index = {name: i for i, name in enumerate(label_names)}
    unknown = sorted({label for split in data.splits().values() for label in split.labels} - set(index))
    if unknown:
        raise DataError(f"{spec.train}: labels the teacher does not know: {', '.join(unknown[:10])}. Distill on the data the teacher was trained on.")

    def gold(split) -> list[int]:
        return [index[label] for label in split.labels]

    texts = DistillTexts(list(data.train.texts), gold(data.train), list(data.validation.texts), gold(data.validation), data.test.texts if data.test else None, gold(data.test) if data.test else None, spec.train)
    if options.unlabeled:
        extra = read_unlabeled(options.unlabeled, spec.encoding)
        # Compared stripped: labeled files keep trailing spaces (SST-2 has them), unlabeled texts are stripped.
        held_out = {t.strip() for t in texts.validation_texts + (texts.test_texts or [])}
        seen = {t.strip() for t in texts.texts}
        kept = [t for t in dict.fromkeys(extra) if t not in held_out and t not in seen]
        texts.unlabeled_dropped_as_eval = sum(1 for t in dict.fromkeys(extra) if t in held_out)
        if options.max_unlabeled and len(kept) > options.max_unlabeled:
            kept = random.Random(options.seed).sample(kept, options.max_unlabeled)
        texts.texts += kept
        texts.gold += [-1] * len(kept)
        texts.unlabeled_used = len(kept)
        log(f"unlabeled: {len(kept)} texts from {options.unlabeled} ({texts.unlabeled_dropped_as_eval} dropped because they are validation/test texts)")
    return texts


@dataclass
class DistillResult:
    output: Path
    rows: list[Measurement]
    measured_on: str

    @property
    def table(self) -> str:
        return render_table(self.rows)


def default_output(run_dir: Path, options: DistillOptions) -> Path:
    name = TEACHER + str(options.student_layers or "") if options.distill_to == TEACHER else Path(str(options.distill_to)).name
    return run_dir.parent / f"{run_dir.name}-distilled-{name}"


def distill_run(run_dir: str | Path, options: DistillOptions, output: str | Path | None = None, overwrite: bool = False, eval_data: str | None = None, measure_batch_size: int = 32, text_column: str | None = None, label_column: str | None = None, encoding: str = "utf-8", log: Callable[[str], None] = print) -> DistillResult:
    """Distill the teacher run into a student run directory and measure both.

    Args:
        run_dir: The teacher: any finished classification run (fp32 for ``--distill-to teacher``).
        options: What to distill into and how.
        output: Student run directory [default: RUN_DIR-distilled-STUDENT beside the teacher].
        eval_data: Labeled file for the comparison table [default: the teacher's test split, else its validation split].
    """
    import torch
    from accelerate.utils import set_seed
    from torch import nn

    from headstart.models.classifier import count_parameters, parameter_groups
    from headstart.runs.atomic import StagedDirectory
    from headstart.tasks.classification import pad_id
    from headstart.tasks.inference import encode_texts, predict_logits
    from headstart.training.batching import Collator, length_grouped_batches
    from headstart.training.loop import EpochBatches, LoopConfig, fit, make_accelerator
    from headstart.training.precision import resolve_precision

    options.validate()
    run_dir = Path(run_dir)
    out = Path(output) if output else default_output(run_dir, options)
    if out.exists() and not overwrite:
        raise ConfigError(f"output folder {out} already exists; pass --overwrite to replace it, or --output to choose another.")
    teacher = load_predictor(run_dir)
    record = teacher.record
    label_names = teacher.label_names
    max_length = options.max_length or teacher.max_length
    texts = collect_texts(record, label_names, options, log)
    set_seed(options.seed)
    student, tokenizer, base = build_student(options, teacher, label_names, log)

    log(f"teacher ({teacher.format}) labels {len(texts.texts)} texts once")
    teacher_logits = torch.tensor(np.asarray(teacher.predict_logits(texts.texts, 64)), dtype=torch.float)
    encoded, truncated = encode_texts(tokenizer, texts.texts, max_length)
    encoded.labels = list(range(len(encoded)))  # example indices: the step looks up teacher logits and gold labels
    validation, _ = encode_texts(tokenizer, texts.validation_texts, max_length)
    mixed_precision = resolve_precision(options.precision)
    head_lr = options.head_learning_rate or options.learning_rate * (1 if options.distill_to == TEACHER else 10)
    groups = parameter_groups(student, "full", options.learning_rate, head_lr, 0.01)
    trainable, total = count_parameters(student)
    log(f"student: {total:,} parameters (teacher: {sum(p.numel() for p in teacher.model.parameters()):,})" if isinstance(teacher, TorchPredictor) else f"student: {total:,} parameters")
    validation_gold = np.asarray(texts.validation_gold)

    def evaluate(model: nn.Module) -> dict[str, float]:
        logits = predict_logits(model, validation, pad_id(tokenizer), 128, mixed_precision)
        return {"accuracy": float(np.mean(logits.argmax(-1) == validation_gold))}

    lengths = encoded.lengths()
    loop = fit(
        student,
        n_examples=len(encoded),
        batches=EpochBatches(lambda epoch: length_grouped_batches(lengths, options.train_batch_size, options.seed + epoch)),
        collate=Collator(encoded, pad_id(tokenizer)),
        step=distillation_step(teacher_logits, torch.tensor(texts.gold, dtype=torch.long), options.temperature, options.soft_weight),
        evaluate=evaluate,
        param_groups=groups,
        config=LoopConfig(options.epochs, 0.06, 1.0, options.patience, "accuracy", mixed_precision, "linear"),
        accelerator=make_accelerator(mixed_precision),
        log=log,
    )
    student.eval()  # fit trained it in place and restored the best epoch's weights
    for param in student.parameters():
        param.requires_grad_(True)

    measure_texts, measure_gold, measured_on = _measure_set(texts, eval_data, label_names, text_column, label_column, encoding)
    with StagedDirectory(out, overwrite) as stage:
        student.save_pretrained(stage, safe_serialization=True)
        tokenizer.save_pretrained(stage)
        draft = _record(record, out.name, base, options, texts, loop, trainable, total, max_length, truncated, str(run_dir))
        rows, measured = _measure_pair(run_dir.name, teacher, out.name, stage, draft, measure_texts, measure_gold, measure_batch_size)
        measured_on += f", batch size {measure_batch_size}"
        _write_files(stage, draft, rows, measured_on, loop, teacher, student_metrics=measured)
    log(render_table(rows))
    return DistillResult(out, rows, measured_on)


def _measure_set(texts: DistillTexts, eval_data: str | None, label_names: list[str], text_column: str | None, label_column: str | None, encoding: str) -> tuple[list[str], list[int], str]:
    if eval_data:
        from headstart.api import read_labeled_texts

        measure_texts, gold = read_labeled_texts(eval_data, label_names, text_column, label_column, encoding)
        return measure_texts, gold, f"{len(measure_texts)} labeled texts of {eval_data}"
    if texts.test_texts:
        return texts.test_texts, texts.test_gold or [], f"the teacher's test split ({len(texts.test_texts)} texts)"
    return texts.validation_texts, texts.validation_gold, f"the teacher's validation split ({len(texts.validation_texts)} texts; the student's epoch was also chosen on it)"


def _measure_pair(teacher_name: str, teacher: Predictor, student_name: str, stage: Path, draft: dict[str, Any], texts: list[str], gold: list[int], batch_size: int) -> tuple[list[Measurement], dict[str, float]]:
    from headstart.deploy.backends import predictor_from_folder

    teacher_row, teacher_labels = measure(teacher_name, teacher, texts, gold, batch_size=batch_size)
    teacher_row.agreement = 1.0
    student_row, _ = measure(student_name, predictor_from_folder(stage, draft), texts, gold, np.asarray(teacher_labels), batch_size)
    student_row.format = f"{student_row.format}, distilled"
    kept = student_row.accuracy / teacher_row.accuracy if teacher_row.accuracy else None
    return [teacher_row, student_row], {"accuracy": student_row.accuracy, "teacher_accuracy": teacher_row.accuracy, "accuracy_kept": kept, "speedup": student_row.throughput / teacher_row.throughput}


def _record(teacher: dict[str, Any], name: str, base: dict[str, Any], options: DistillOptions, texts: DistillTexts, loop, trainable: int, total: int, max_length: int, truncated: int, teacher_path: str) -> dict[str, Any]:
    from headstart.runs.environment import library_versions, machine

    record = copy.deepcopy(teacher)
    record.pop("deploy", None)
    record["run_name"] = name
    record["base"] = base
    record["train"] = {**(record.get("train") or {}), "method": "distill", "max_length": max_length, "epochs": options.epochs, "learning_rate": options.learning_rate, "batch_size": options.train_batch_size, "seed": options.seed}
    record["distillation"] = {
        **asdict(options),
        "teacher_run": str(Path(teacher_path).resolve()),
        "teacher_run_name": teacher.get("run_name"),
        "labeled_texts": len(texts.texts) - texts.unlabeled_used,
        "unlabeled_texts": texts.unlabeled_used,
        "unlabeled_dropped_as_eval": texts.unlabeled_dropped_as_eval,
        "created": f"{datetime.now():%Y-%m-%dT%H:%M:%S}",
    }
    record["parameters"] = {"trainable": trainable, "total": total}
    record["truncated_texts"] = {"train": truncated}
    record["result"] = {k: v for k, v in asdict(loop).items() if k != "history"}
    record["versions"] = library_versions()
    record["machine"] = machine()
    return record


def _write_files(stage: Path, record: dict[str, Any], rows: list[Measurement], measured_on: str, loop, teacher: Predictor, student_metrics: dict[str, float]) -> None:
    from headstart.runs.atomic import RUN_MARKER, atomic_write_json, atomic_write_text

    atomic_write_json(stage / "metrics.json", {"distillation": student_metrics, "history": loop.history})
    atomic_write_json(stage / "compression.json", {"measured_on": measured_on, "rows": [row.to_dict() for row in rows]})
    info = record["distillation"]
    card = (
        f"# {record['run_name']}\n\n"
        f"A student distilled from the headstart run `{info['teacher_run_name']}` ({teacher.format}) into `{record['base'].get('name')}`: "
        f"{info['labeled_texts']} labeled and {info['unlabeled_texts']} unlabeled texts, the teacher's soft labels at temperature {info['temperature']} "
        f"(soft weight {info['soft_weight']} on labeled texts), best of {loop.epochs_run} epoch(s) on validation accuracy (epoch {loop.best_epoch}).\n"
        f"Use it with `headstart predict`, `headstart eval`, `headstart serve`, or `headstart compress` it further.\n\n"
        f"## Compared with the teacher\n\nMeasured on {measured_on}.\n\n{render_table(rows)}\n"
    )
    atomic_write_text(stage / "README.md", card)
    atomic_write_text(stage / RUN_MARKER, yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
