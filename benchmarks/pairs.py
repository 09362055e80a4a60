"""Sentence-pair classification with headstart's default settings on MRPC, RTE and an SNLI subset.

Each dataset is read from ../shared/data in its published format (MSRP TSV, GLUE/HF TSV,
LM-BFF json); ``--train-limit``/``--test-limit`` draw a seeded random sample of the rows
(written as JSONL under bench-out/, never into the repository) so the run fits a slow
machine. One dataset per process, so ``--dataset`` runs can go side by side.

    python benchmarks/pairs.py --dataset mrpc --train-limit 1000 --test-limit 500 --epochs 2
    python benchmarks/pairs.py --dataset all               # full files, default epochs

``--engine both`` (the default) also trains the anchor on the identical split: a plain
transformers ``Trainer`` with ``AutoModelForSequenceClassification`` and the settings of
transformers' ``run_glue.py`` example (lr 2e-5, no warmup or weight decay, CLS pooler head,
pair input truncated to 128 tokens), with the same batch size and epochs.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import datetime, timezone
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = {
    # name: (train file, test file, positive class for F1 or None)
    "mrpc": ("mrpc/msr_paraphrase_train.txt", "mrpc/msr_paraphrase_test.txt", "1"),
    "rte": ("rte/train.tsv", "rte/dev.tsv", None),
    "snli": ("snli_subset/glue_pretrain_train.json", "snli_subset/glue_pretrain_dev.json", None),
}


def sample(path: Path, limit: int | None, out: Path, seed: int) -> tuple[Path, int, int]:
    """``path`` itself (no limit), or a seeded sample of its rows as JSONL; with the row counts."""
    from headstart.data.readers import read_table

    table = read_table(path)
    if limit is None or limit >= len(table.rows):
        return path, len(table.rows), len(table.rows)
    rows = random.Random(seed).sample(table.rows, limit)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return out, limit, len(table.rows)


def run_trainer(spec, args: argparse.Namespace, epochs: int, work: Path) -> dict:
    """The anchor: transformers' Trainer as in its run_glue.py example, on headstart's exact train split."""
    import numpy as np
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer, TrainingArguments

    from headstart.catalog.resolve import resolve_base
    from headstart.data.classification import load_classification_data
    from headstart.evaluation.metrics import classification_metrics

    data = load_classification_data(spec)
    location = resolve_base(args.base).location
    tokenizer = AutoTokenizer.from_pretrained(location, local_files_only=True)
    index = {n: i for i, n in enumerate(data.label_names)}
    model = AutoModelForSequenceClassification.from_pretrained(location, num_labels=len(index), local_files_only=True)

    def rows(split):
        encoded = tokenizer(split.texts, split.pairs, truncation=True, max_length=128)
        return [{**{k: v[i] for k, v in encoded.items()}, "labels": index[label]} for i, label in enumerate(split.labels)]

    training_args = TrainingArguments(
        output_dir=str(work / "trainer"), per_device_train_batch_size=16, per_device_eval_batch_size=128, num_train_epochs=epochs,
        learning_rate=2e-5, seed=42, eval_strategy="no", save_strategy="no", report_to=[], use_cpu=True, logging_steps=50,
    )
    trainer = Trainer(model=model, args=training_args, train_dataset=rows(data.train), data_collator=DataCollatorWithPadding(tokenizer))
    started = time.perf_counter()
    trainer.train()
    logits = trainer.predict(rows(data.test)).predictions
    metrics = classification_metrics([index[label] for label in data.test.labels], np.asarray(logits).argmax(-1), data.label_names)
    return {"metrics": metrics, "seconds": round(time.perf_counter() - started, 1)}


def run(name: str, args: argparse.Namespace) -> dict:
    from headstart.api import train_run
    from headstart.data.classification import DataSpec
    from headstart.training.config import TrainConfig

    train_file, test_file, positive = DATASETS[name]
    work = Path(args.out_dir) / name
    train, n_train, of_train = sample(DATA / train_file, args.train_limit, work / "train.jsonl", args.seed)
    test, n_test, of_test = sample(DATA / test_file, args.test_limit, work / "test.jsonl", args.seed)
    config = TrainConfig(epochs=args.epochs) if args.epochs else TrainConfig()
    spec = DataSpec(train=str(train), test=str(test), pair_mode="required")
    result = {
        "dataset": name,
        "train_file": train_file,
        "test_file": test_file,
        "train_rows": f"{n_train} of {of_train}",
        "test_rows": f"{n_test} of {of_test}",
        "epochs": config.epochs,
        "base": args.base,
    }

    def scores(prefix: str, test_metrics: dict, seconds: float) -> None:
        result[f"{prefix}test_accuracy"] = round(test_metrics["accuracy"], 4)
        result[f"{prefix}test_macro_f1"] = round(test_metrics["macro_f1"], 4)
        if positive is not None:
            result[f"{prefix}test_f1_class_{positive}"] = round(test_metrics["per_class"][positive]["f1"], 4)
        result[f"{prefix}seconds"] = seconds

    if args.engine in ("headstart", "both"):
        started = time.perf_counter()
        summary = train_run(spec, base=args.base, config=config, output=work / "run", overwrite=True)
        scores("", summary.metrics["test"], round(time.perf_counter() - started, 1))
        result["validation_accuracy"] = round(summary.metrics["validation"]["accuracy"], 4)
        result["run"] = str(summary.path)
    if args.engine in ("trainer", "both"):
        anchor = run_trainer(spec, args, config.epochs, work)
        scores("trainer_", anchor["metrics"], anchor["seconds"])
    if args.engine == "both":
        result["accuracy_ratio_headstart_to_trainer"] = round(result["test_accuracy"] / max(result["trainer_test_accuracy"], 1e-9), 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=[*DATASETS, "all"], default="all")
    parser.add_argument("--train-limit", type=int, help="random sample of this many training rows [default: all]")
    parser.add_argument("--test-limit", type=int, help="random sample of this many test rows [default: all]")
    parser.add_argument("--epochs", type=int, help="[default: headstart's default]")
    parser.add_argument("--base", default="minilm-l6")
    parser.add_argument("--seed", type=int, default=0, help="seed of the row samples")
    parser.add_argument("--out-dir", default="bench-out/pairs")
    parser.add_argument("--engine", choices=["headstart", "trainer", "both"], default="both", help="headstart, the Trainer anchor, or both on the same split")
    args = parser.parse_args()
    names = list(DATASETS) if args.dataset == "all" else [args.dataset]
    for name in names:
        result = {**run(name, args), "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        out = Path(args.out_dir) / f"{name}{'' if args.engine == 'both' else '-' + args.engine}.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
