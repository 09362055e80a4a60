"""Inference speed and accuracy: transformers' pipeline vs headstart fp32, int8, ONNX and ONNX int8.

Usage (a run fine-tuned on SST-2 train; the benchmark only predicts):

    headstart train ../shared/data/sst2_glue/train.tsv --output runs/sst2 ...
    python benchmarks/inference.py runs/sst2 --data ../shared/data/sst2_glue/dev.tsv

It writes the int8 / ONNX copies with ``headstart compress`` (into a temporary folder
unless ``--keep DIR``), then predicts the same texts with every engine, one after the
other in one process, and prints a Markdown table: sentences/s, speed-up over the
pipeline, accuracy. Use ``--limit`` for a quick run. Threads: torch and ONNX Runtime
both use every core by default; pass ``--threads`` to pin them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def pipeline_engine(run_dir: Path, batch_size: int):
    from transformers import pipeline

    classifier = pipeline("text-classification", model=str(run_dir), device="cpu")
    label2id = classifier.model.config.label2id

    def predict(texts: list[str]) -> np.ndarray:
        return np.array([label2id[r["label"]] for r in classifier(texts, batch_size=batch_size, truncation=True)])

    return predict


def headstart_engine(run_dir: Path, batch_size: int):
    from headstart.deploy.backends import load_predictor

    predictor = load_predictor(run_dir)

    def predict(texts: list[str]) -> np.ndarray:
        return predictor.predict_logits(texts, batch_size).argmax(-1)

    return predict


def timed(predict, texts: list[str], repeats: int) -> tuple[float, np.ndarray]:
    predict(texts[:32])  # warm-up
    best, labels = float("inf"), np.zeros(0)
    for _ in range(repeats):
        started = time.perf_counter()
        labels = predict(texts)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="fp32 run directory fine-tuned on SST-2")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "sst2_glue" / "dev.tsv")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N texts (0: all)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per engine; the fastest counts")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    parser.add_argument("--keep", type=Path, help="write the compressed runs here instead of a temporary folder")
    args = parser.parse_args()

    import shutil

    import torch

    from headstart.api import read_labeled_texts
    from headstart.deploy.backends import load_predictor
    from headstart.deploy.compress import CompressOptions, compress_run
    from headstart.runs.environment import machine

    if args.threads:
        torch.set_num_threads(args.threads)
    names = load_predictor(args.run_dir).label_names
    texts, labels = read_labeled_texts(args.data, names)
    if args.limit:
        texts, labels = texts[: args.limit], labels[: args.limit]
    gold = np.asarray(labels)
    with tempfile.TemporaryDirectory(prefix="headstart-bench-") as tmp:
        work = args.keep or Path(tmp)
        source = work / args.run_dir.name
        if source.resolve() != args.run_dir.resolve():
            shutil.copytree(args.run_dir, source, dirs_exist_ok=True)
        compressed = compress_run(source, CompressOptions(int8=True, onnx=True, onnx_int8=True, overwrite=True, batch_size=args.batch_size), log=lambda m: None).outputs
        engines = {
            "transformers pipeline (fp32)": pipeline_engine(args.run_dir, args.batch_size),
            "headstart fp32": headstart_engine(args.run_dir, args.batch_size),
            "headstart int8 (torch)": headstart_engine(compressed["int8"], args.batch_size),
            "headstart ONNX Runtime": headstart_engine(compressed["onnx"], args.batch_size),
            "headstart ONNX Runtime int8": headstart_engine(compressed["onnx-int8"], args.batch_size),
        }
        rows = []
        for name, predict in engines.items():
            speed, predicted = timed(predict, texts, args.repeats)
            rows.append((name, speed, float(np.mean(predicted == gold))))
            print(f"{name}: {speed:.1f} sentences/s", flush=True)
    baseline = rows[0][1]
    print(f"\n{len(texts)} texts of {args.data}, batch size {args.batch_size}, {torch.get_num_threads()} torch threads, {machine()['cpu']}\n")
    print("| engine | sentences/s | vs pipeline | accuracy |\n|---|---:|---:|---:|")
    for name, speed, accuracy in rows:
        print(f"| {name} | {speed:.1f} | {speed / baseline:.2f}x | {accuracy:.4f} |")


if __name__ == "__main__":
    main()
