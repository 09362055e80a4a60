"""``headstart train``: fine-tune a base model into a classifier and write a run directory."""

from __future__ import annotations

import argparse
import importlib
import sys
from importlib import resources

from tqdm.auto import tqdm

from headstart.catalog.entries import DEFAULT_BASE
from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.data.classification import DataSpec
from headstart.errors import ConfigError
from headstart.training.config import TrainConfig

DEMO = "banking77 sample (bundled)"
TASK_CHOICES = ("auto", "classification", "pairs", "tokens", "text2text")
TASK_MODULES = {"tokens": "headstart.cli.train_tokens", "text2text": "headstart.cli.train_text2text"}
"""Tasks with their own training entry point: each module has add_arguments(parser) and run(args) -> int.
Classification and sentence pairs share the classification path below."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "train",
        help="fine-tune a classifier on a labeled file (no file: the bundled BANKING77 demo)",
        description="Fine-tune a pre-trained encoder into a text classifier. Without DATA, trains the default model on a bundled "
        "sample of BANKING77 (customer-support intents, CC BY 4.0) and reports held-out accuracy.",
    )
    parser.add_argument("data", nargs="?", help="training file: .csv, .tsv, .jsonl or .parquet with a text and a label column (sentence pairs: two text columns)")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags given here win)")
    parser.add_argument("--base", default=DEFAULT_BASE, help=f"catalog name (see 'headstart models') or local model folder [default: {DEFAULT_BASE}]")
    parser.add_argument("--allow-download", action="store_true", help="allow --base to be a Hugging Face hub id that is downloaded (off by default)")
    parser.add_argument("--output", "-o", metavar="DIR", help="run directory to write [default: runs/NAME-METHOD-TIMESTAMP]")
    parser.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
    parser.add_argument("--task", choices=TASK_CHOICES, default="auto", help="what to learn: text classification, sentence 'pairs', 'tokens' (NER) or 'text2text' generation [default: auto = from the data file's shape]")
    add_dataclass_arguments(parser, DataSpec, skip=("train", "pair_mode"))
    add_dataclass_arguments(parser, TrainConfig, skip=("prompt_template",))  # the flag is shared with text2text (tasks/generation.py)
    for module in TASK_MODULES.values():
        importlib.import_module(module).add_arguments(parser)
    parser.set_defaults(handler=run)


def demo_spec(args: argparse.Namespace) -> DataSpec:
    folder = resources.files("headstart") / "resources" / "banking77"
    return DataSpec(train=str(folder / "train.csv"), test=str(folder / "test.csv"), validation_fraction=args.validation_fraction, split_seed=args.split_seed)


def run(args: argparse.Namespace) -> int:
    from headstart.api import train_run
    from headstart.evaluation.metrics import headline

    task = args.task
    if task == "auto" and args.data is not None:
        from headstart.data.detect import detect_task

        task = detect_task(args.data, args.encoding)
    if task in TASK_MODULES:
        if getattr(args, "unlabeled", None):
            raise ConfigError(f"--unlabeled (self-training on unlabeled texts) is for text classification with --method contrastive; --task {task} does not use it. Drop --unlabeled; to use unlabeled text, adapt the base first: headstart adapt BASE texts.txt --output adapted/, then --base adapted/.")
        return int(importlib.import_module(TASK_MODULES[task]).run(args) or 0)
    if task == "pairs" and args.data is None:
        raise ConfigError("--task pairs needs a data file with two text columns and a label, e.g. headstart train pairs.tsv --task pairs (the bundled demo is single-text).")
    config = build_dataclass(TrainConfig, args)
    if args.data is None:
        spec = demo_spec(args)
        print(f"No data file given: training '{args.base}' on the {DEMO}.", file=sys.stderr)
    else:
        args.train = args.data
        # From the user's --task, not the detected one: auto-detection leaves pairs to the data loader.
        args.pair_mode = {"pairs": "required", "classification": "off"}.get(args.task, "auto")
        spec = build_dataclass(DataSpec, args)
    summary = train_run(spec, args.base, config, args.output, args.overwrite, args.allow_download, log=lambda m: tqdm.write(m, file=sys.stderr))
    held_out = "test" if "test" in summary.metrics else "validation"
    print(f"\n{held_out} ({'held out' if held_out == 'test' else 'used to pick the best epoch'}): {headline(summary.metrics[held_out])}")
    if "seeds" in summary.metrics:
        spread = summary.metrics["seeds"]["summary"][held_out]["accuracy"]
        print(f"{held_out} accuracy over {len(summary.metrics['seeds']['runs'])} seeds: {spread['mean']:.4f} ± {spread['std']:.4f} (min {spread['min']:.4f}, max {spread['max']:.4f}); kept seed {summary.metrics['seeds']['kept_seed']}")
    print(f"time: {summary.seconds:.0f} s in total")
    example = '"first text" --pair "second text"' if summary.pairs else '"some text"'
    print(f"model: {summary.path}  (try: headstart predict {summary.path} {example})")
    if summary.interrupted:
        print("note: training was interrupted; the saved model is the best one reached before that.")
    return 0
