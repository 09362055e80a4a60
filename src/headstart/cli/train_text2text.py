"""``headstart train --task text2text``: text-to-text generation (summarization, rewriting, any input → output)."""

from __future__ import annotations

import argparse
import sys

from tqdm.auto import tqdm

from headstart.catalog.entries import DEFAULT_BASE
from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.errors import ConfigError
from headstart.tasks.generation import GenerationOptions


DEFAULT_GENERATOR = "smollm2-135m"
EXPLICIT = "text2text_explicit"


class _StoreRecordingGiven(argparse._StoreAction):
    """Stores like argparse's default action and remembers that the user gave the flag, so this task can
    use its own default base otherwise: smollm2-135m (the shared default is an encoder, which cannot generate)."""

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        given = set(getattr(namespace, EXPLICIT, set()))
        setattr(namespace, EXPLICIT, given | {self.dest})


def _given(args: argparse.Namespace, name: str, shared_default: str) -> bool:
    """Typed on the command line, or set to something else than the shared default (e.g. by --config)."""
    return name in getattr(args, EXPLICIT, set()) or getattr(args, name) != shared_default


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options only this task uses (the shared ones are registered by cli/train.py)."""
    add_dataclass_arguments(parser, GenerationOptions)
    for action in parser._actions:
        if action.dest == "base" and type(action) is argparse._StoreAction:
            action.__class__ = _StoreRecordingGiven


def run(args: argparse.Namespace) -> int:
    from headstart.api_generation import train_text2text_run
    from headstart.data.classification import DataSpec
    from headstart.evaluation.generation import generation_headline
    from headstart.training.config import TrainConfig

    if args.data is None:
        raise ConfigError("--task text2text needs a data file of input/target pairs, e.g. headstart train pairs.jsonl --task text2text --base smollm2-135m")
    if args.label_column is not None:
        raise ConfigError("--label-column is for classification; name the target text column with --target-column.")
    config = build_dataclass(TrainConfig, args)
    base = args.base if _given(args, "base", DEFAULT_BASE) else DEFAULT_GENERATOR
    args.train = args.data
    spec = build_dataclass(DataSpec, args)
    options = build_dataclass(GenerationOptions, args)
    summary = train_text2text_run(spec, base, config, options, args.output, args.overwrite, args.allow_download, log=lambda m: tqdm.write(m, file=sys.stderr))
    scored = "test" if "test" in summary.metrics and "rouge1" in summary.metrics["test"] else "validation"
    print(f"\n{scored}: {generation_headline(summary.metrics[scored])}")
    print(f"time: {summary.seconds:.0f} s in total")
    print(f"model: {summary.path}  (try: headstart generate {summary.path} \"some input\")")
    if summary.interrupted:
        print("note: training was interrupted; the saved model is the best one reached before that.")
    return 0
