"""The student of a distillation: a smaller catalog base with a new head, or the teacher with fewer layers."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from headstart.deploy.backends import FP32, Predictor, TorchPredictor
from headstart.errors import ConfigError

if TYPE_CHECKING:
    from torch import nn

    from headstart.deploy.distill import DistillOptions

TEACHER = "teacher"
"""``--distill-to`` value meaning: a copy of the teacher with fewer layers."""


def evenly_spaced_layers(n_layers: int, keep: int) -> list[int]:
    """``keep`` layer indices of ``n_layers``, first and last included (0, 2, 5 of 6 for keep=3)."""
    if keep >= n_layers:
        return list(range(n_layers))
    return sorted({int(round(x)) for x in np.linspace(0, n_layers - 1, keep)})


def _is_pooling_layer(layer: nn.Module) -> bool:
    """headstart's mean-pooling layer (models/pooling.py) has all-zero query and key weights."""
    attention = getattr(getattr(layer, "attention", None), "self", None)
    query = getattr(attention, "query", None)
    return query is not None and not bool(query.weight.any()) and not bool(attention.key.weight.any())


def shrink_encoder(model: nn.Module, keep: int | None) -> tuple[nn.Module, list[int]]:
    """A copy of a BERT-style classifier keeping ``keep`` encoder layers (the pooling layer, if any, stays on top)."""
    from torch import nn

    layers = getattr(getattr(getattr(model, "base_model", None), "encoder", None), "layer", None)
    if not isinstance(layers, nn.ModuleList) or not len(layers):
        raise ConfigError(f"--distill-to teacher needs a BERT-style encoder with a list of layers; {type(model).__name__} has none. Pass a smaller base instead, e.g. --distill-to bert-tiny-mlm.")
    pooling = _is_pooling_layer(layers[-1])
    n_real = len(layers) - int(pooling)
    keep = keep if keep is not None else max(1, (n_real + 1) // 2)
    if keep >= n_real:
        raise ConfigError(f"--student-layers {keep} does not shrink the teacher: it has {n_real} encoder layers. Choose 1 to {n_real - 1}.")
    kept = evenly_spaced_layers(n_real, keep)
    student = copy.deepcopy(model)
    new_layers = [student.base_model.encoder.layer[i] for i in kept]
    if pooling:
        new_layers.append(student.base_model.encoder.layer[-1])
    student.base_model.encoder.layer = nn.ModuleList(new_layers)
    student.config.num_hidden_layers = len(new_layers)
    for position, layer in enumerate(new_layers):
        attention = getattr(getattr(layer, "attention", None), "self", None)
        if attention is not None and hasattr(attention, "layer_idx"):
            attention.layer_idx = position
    return student, kept


def build_student(options: DistillOptions, teacher: Predictor, label_names: list[str], log: Callable[[str], None]) -> tuple[nn.Module, Any, dict[str, Any]]:
    """The student model, its tokenizer and the ``base`` entry of its record."""
    if options.distill_to == TEACHER:
        if not isinstance(teacher, TorchPredictor) or teacher.format != FP32:
            raise ConfigError(f"--distill-to teacher copies the teacher's layers, so it needs the fp32 run; this one is {teacher.format}. Pass the run it was compressed from.")
        source = teacher.model.merge_and_unload() if hasattr(teacher.model, "merge_and_unload") else teacher.model
        student, kept = shrink_encoder(source, options.student_layers)
        log(f"student: the teacher keeping encoder layers {kept}")
        base = dict((teacher.record.get("base") or {}), name=f"{(teacher.record.get('base') or {}).get('name')} (teacher layers {kept})")
        return student, teacher.tokenizer, base
    from headstart.catalog.resolve import resolve_base
    from headstart.models.classifier import build_classifier
    from headstart.models.loading import load_tokenizer
    from headstart.runs.write import base_record
    from headstart.tasks.classification import pad_id

    resolved = resolve_base(options.distill_to)
    tokenizer = load_tokenizer(resolved)
    student = build_classifier(resolved, label_names)
    if student.config.pad_token_id is None:
        student.config.pad_token_id = pad_id(tokenizer)
    log(f"student: {resolved.name} ({resolved.location})")
    return student, tokenizer, base_record(resolved)
