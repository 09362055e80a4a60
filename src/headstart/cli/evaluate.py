"""``headstart eval``: score a trained run on a labeled file."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("eval", help="score a trained run on a labeled file", description="Accuracy, macro-F1, per-class scores and confusion matrix of a run on a labeled file.")
    parser.add_argument("run_dir", help="run directory")
    parser.add_argument("data", help="labeled file (.csv, .tsv, .jsonl, .parquet)")
    parser.add_argument("--text-column", metavar="NAME", help="text column [default: detected]")
    parser.add_argument("--text-pair-column", metavar="NAME", help="second-text column, for a sentence-pair run [default: the run's, or detected]")
    parser.add_argument("--label-column", metavar="NAME", help="label column [default: detected]")
    parser.add_argument("--target-column", metavar="NAME", help="text-to-text runs: target text column [default: detected]")
    parser.add_argument("--encoding", default="utf-8", help="file encoding [default: utf-8]")
    parser.add_argument("--out", metavar="PATH", help="write the metrics as JSON here")
    parser.add_argument("--tag-scheme", choices=("auto", "iob1", "iob2", "bioes"), default="auto", help="token (NER) runs: tag scheme of DATA, converted to BIO [default: auto]")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.cli import tokens_io

    if tokens_io.is_token_run_dir(args.run_dir):
        return tokens_io.evaluate(args)
    from headstart.cli import generate

    if generate.is_generation_run_dir(args.run_dir):
        return generate.evaluate(args)
    from pathlib import Path

    from headstart.api import evaluate_run
    from headstart.evaluation.metrics import headline
    from headstart.runs.atomic import atomic_write_json

    metrics = evaluate_run(args.run_dir, args.data, args.text_column, args.label_column, args.encoding, args.text_pair_column)
    print(headline(metrics))
    width = max(len(n) for n in metrics["per_class"])
    print(f"{'label':<{width}}  precision  recall  f1      support")
    for name, v in metrics["per_class"].items():
        print(f"{name:<{width}}  {v['precision']:.3f}      {v['recall']:.3f}   {v['f1']:.3f}   {v['support']}")
    if args.out:
        atomic_write_json(Path(args.out), metrics)
        print(f"metrics written to {args.out}")
    else:
        print(json.dumps({"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "n_examples": metrics["n_examples"]}))
    return 0
