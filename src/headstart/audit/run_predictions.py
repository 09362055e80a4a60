"""A run's evaluation data and its class probabilities, shared by the bias audit and the report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from headstart.data.classification import DataSpec, LabeledTexts, load_classification_data
from headstart.errors import DataError, RunDirError
from headstart.runs.load import LoadedRun
from headstart.tasks.classification import pad_id
from headstart.tasks.inference import encode_texts, predict_logits, softmax


def probabilities(run: LoadedRun, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """(n, classes) softmax probabilities of ``run`` on ``texts``."""
    if not texts:
        return np.zeros((0, len(run.label_names)))
    encoded, _ = encode_texts(run.tokenizer, list(texts), run.max_length)
    return softmax(predict_logits(run.model, encoded, pad_id(run.tokenizer), batch_size))


def recorded_split(run: LoadedRun, split: str = "validation") -> LabeledTexts:
    """The ``split`` the run was evaluated on, rebuilt from the data settings in its record.

    A validation split held out of the training file is reproduced exactly: the split
    seed and fraction are recorded.

    Raises:
        RunDirError: the record has no data settings, or the split does not exist.
        DataError: the recorded files are gone or changed.
    """
    recorded = dict(run.record.get("data") or {})
    if not recorded.get("train"):
        raise RunDirError(f"{run.path}: the run record names no training data, so its {split} split cannot be rebuilt. Give a labeled DATA file.")
    fields = set(DataSpec.__dataclass_fields__)
    spec = DataSpec(**{k: v for k, v in recorded.items() if k in fields})
    missing = [p for p in (spec.train, spec.validation, spec.test) if p and not Path(p).is_file()]
    if missing:
        raise DataError(f"{run.path}: the run's data file(s) {', '.join(missing)} are gone (paths are relative to where training ran). Give a labeled DATA file.")
    data = load_classification_data(spec)
    splits = data.splits()
    if split not in splits:
        raise RunDirError(f"{run.path}: the run has no {split} split (it has {', '.join(splits)}).")
    return splits[split]


def label_indices(run: LoadedRun, labels: list[str], where: str) -> np.ndarray:
    """Class ids of ``labels`` in the run's label order; DataError naming labels the run does not know."""
    index = {name: i for i, name in enumerate(run.label_names)}
    unknown = sorted({label for label in labels if label not in index})
    if unknown:
        raise DataError(f"{where}: label(s) {', '.join(unknown[:10])} are not among the run's labels ({', '.join(run.label_names[:10])}). Use data labeled like the training data.")
    return np.array([index[label] for label in labels], dtype=int)
