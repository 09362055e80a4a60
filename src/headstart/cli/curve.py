"""``headstart curve``: the learning curve — score against the number of labeled examples."""

from __future__ import annotations

import argparse
import sys

from tqdm.auto import tqdm

from headstart.catalog.entries import DEFAULT_BASE
from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.curves import CurveConfig
from headstart.data.classification import DataSpec
from headstart.training.config import TrainConfig


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "curve",
        help="learning curve: score vs number of labels, against TF-IDF and from-scratch baselines",
        description="Train on nested, stratified samples of growing size (several repeats each) and score every point on one "
        "fixed held-out set, for the chosen methods of --base and two baselines without pre-training: TF-IDF + logistic "
        "regression ('tfidf') and the base's architecture from random initialisation ('scratch'). Writes curve.json, curve.csv, "
        "curve.png, curve.log and README.md into the output folder and answers 'how many labels reach --target of the "
        "full-data score'. Finished points survive a crash: rerun with --resume.",
    )
    parser.add_argument("data", help="labeled file (.csv, .tsv, .jsonl or .parquet) the samples are drawn from")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags given here win)")
    parser.add_argument("--base", default=DEFAULT_BASE, help=f"catalog name or local model folder [default: {DEFAULT_BASE}]")
    parser.add_argument("--allow-download", action="store_true", help="allow --base to be a Hugging Face hub id that is downloaded (off by default)")
    parser.add_argument("--output", "-o", metavar="DIR", help="curve directory to write [default: runs/NAME-curve-TIMESTAMP]")
    parser.add_argument("--resume", action="store_true", help="reuse the finished points of an earlier run with the same --output (after a crash, or to add sizes/methods)")
    parser.add_argument("--overwrite", action="store_true", help="replace --output if it exists, recomputing every point")
    add_dataclass_arguments(parser, CurveConfig)
    add_dataclass_arguments(parser, DataSpec, skip=("train", "validation", "multi_label", "label_separator", "text_pair_column", "pair_mode"))
    add_dataclass_arguments(parser, TrainConfig, skip=("method", "seeds"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.curves import learning_curve

    args.train = args.data
    spec = build_dataclass(DataSpec, args)
    result = learning_curve(
        spec,
        build_dataclass(CurveConfig, args),
        build_dataclass(TrainConfig, args),
        args.base,
        args.output,
        resume=args.resume,
        overwrite=args.overwrite,
        allow_download=args.allow_download,
        log=lambda m: tqdm.write(m, file=sys.stderr),
    )
    from headstart.runs.curve_write import summary_table

    print()
    print(summary_table(result.summary, result.names, args.metric))
    print()
    for line in result.answers:
        print(line)
    reused = f" ({result.reused} point(s) reused)" if result.reused else ""
    print(f"\ncurve written to {result.path}{reused}: curve.png, curve.csv, curve.json, README.md")
    return 0
