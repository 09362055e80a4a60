"""A complete-looking run directory without training: a tiny random classifier plus a minimal record.

Audits and reports only read a run (model, tokenizer, headstart.yaml, metrics.json), so their
tests use this instead of a training run to stay fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from conftest import ASSETS, tiny_vocab


def make_run(folder: Path, train_file: Path = ASSETS / "tiny_sentiment.csv", labels: tuple[str, ...] = ("negative", "positive"), seed: int = 0) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    config = BertConfig(
        vocab_size=len(tiny_vocab()), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=64, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={n: i for i, n in enumerate(labels)},
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    BertTokenizer(vocab=tiny_vocab()).save_pretrained(folder)
    metrics = {
        "validation": {
            "n_examples": 15, "accuracy": 0.6, "macro_f1": 0.58, "labels": list(labels), "confusion_matrix": [[5, 3], [3, 4]],
            "per_class": {n: {"precision": 0.6, "recall": 0.6, "f1": 0.6, "support": 7} for n in labels},
        },
        "history": [{"epoch": 1, "train_loss": 0.7, "val_accuracy": 0.5, "val_macro_f1": 0.4}, {"epoch": 2, "train_loss": 0.6, "val_accuracy": 0.6, "val_macro_f1": 0.58}],
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    record = {
        "headstart_run": 1, "task": "text-classification", "run_name": folder.name,
        "base": {"name": "tiny", "location": "tiny"},
        "data": {"train": str(train_file), "validation": None, "test": None, "text_column": None, "label_column": None, "encoding": "utf-8", "validation_fraction": 0.25, "split_seed": 13, "skip_bad_rows": False},
        "train": {"method": "full", "max_length": 32}, "labels": list(labels),
    }
    (folder / "headstart.yaml").write_text(yaml.safe_dump(record))
    return folder
