"""What the tuning scripts share (contrastive_tuning.py, encoder_head_swap.py, full_tuning.py): their arguments, the
benchmark's data on seeds other than its own, headstart trained as the benchmark trains it, and one JSON line per run.

Data loading and per-class sampling are fewshot.py's own, so a tuning run draws exactly the samples the benchmark
would draw for the same seed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fewshot import fixed_test_sample, labeled, load_dataset  # noqa: E402


def tuning_parser(description: str) -> argparse.ArgumentParser:
    """Arguments shared by the tuning scripts (contrastive_tuning.py, encoder_head_swap.py), which never run seeds 0-2."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, choices=["sst2", "trec", "ag_news", "banking77", "imdb"])
    parser.add_argument("--size", type=int, required=True, help="labeled examples per class")
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--threads", type=int, default=2)
    return parser


def tuning_data(args: argparse.Namespace) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """(training pool, the benchmark's fixed test sample, sorted labels) for a tuning run; refuses the benchmark's seeds."""
    if set(args.seeds) & {0, 1, 2}:
        raise SystemExit("seeds 0-2 are the benchmark's; tune on others (e.g. --seeds 10 11 12)")
    import torch

    torch.set_num_threads(args.threads)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pool, test = load_dataset(args.dataset)
    return pool, fixed_test_sample(test, 1000), sorted({label for _, label in pool})


def train_headstart(train: list[tuple[str, str]], labels: list[str], config):
    """headstart trained on ``train`` as the benchmark trains it (validation = the training sample); returns (train seconds, TrainedClassifier)."""
    from headstart.catalog.resolve import resolve_base
    from headstart.data.classification import ClassificationData
    from headstart.tasks.classification import train_classifier

    split = labeled(train)
    data = ClassificationData(split, split.subset(list(range(len(split))), "validation"), None, labels)
    start = time.perf_counter()
    trained = train_classifier(data, resolve_base("minilm-l6"), config, log=lambda message: None)
    return time.perf_counter() - start, trained


def embed_rows(trained, row_sets: list[list[tuple[str, str]]], config) -> list:
    """Sentence embeddings of each row set's texts under ``trained``'s encoder (the vector its head reads)."""
    from headstart.tasks.classification import pad_id
    from headstart.tasks.linear_probe import embed
    from headstart.tasks.inference import encode_texts

    model, pad = trained.model.eval(), pad_id(trained.tokenizer)
    encoded = [encode_texts(trained.tokenizer, [t for t, _ in rows], config.max_length)[0] for rows in row_sets]
    return [embed(model, e, pad, config.eval_batch_size, trained.mixed_precision) for e in encoded]


def train_and_embed(train: list[tuple[str, str]], test: list[tuple[str, str]], labels: list[str], config) -> tuple[float, list]:
    """headstart trained on ``train`` as the benchmark trains it; returns (train seconds, [train, test] sentence embeddings)."""
    seconds, trained = train_headstart(train, labels, config)
    return seconds, embed_rows(trained, [train, test], config)


def append_row(row: dict, out: str) -> None:
    print(json.dumps(row), flush=True)
    with open(out, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")
