"""``headstart train --task tokens``: token classification (NER) from CoNLL columns or JSONL."""

from __future__ import annotations

import argparse
import sys

from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.data.tokens import TokenOptions
from headstart.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options only this task uses (the shared ones are registered by cli/train.py)."""
    add_dataclass_arguments(parser, TokenOptions)


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from headstart.api_tokens import train_token_run
    from headstart.evaluation.entities import entity_headline
    from headstart.runs.tokens_run import TokenFiles
    from headstart.training.config import TrainConfig

    if args.data is None:
        raise ConfigError("--task tokens needs a training file: CoNLL columns (token ... tag) or JSONL with tokens/tags or text/entities. Example: headstart train eng.train --task tokens --validation eng.testa")
    for flag, value in (("--text-column", getattr(args, "text_column", None)), ("--label-column", getattr(args, "label_column", None))):
        if value:
            raise ConfigError(f"{flag} is for tables; token files have the token in the first column and the tag in the last.")
    files = TokenFiles(args.data, args.validation, args.test, args.encoding, args.validation_fraction, args.split_seed)
    options = build_dataclass(TokenOptions, args)
    config = build_dataclass(TrainConfig, args)
    summary = train_token_run(files, options, args.base, config, args.output, args.overwrite, args.allow_download, log=lambda m: tqdm.write(m, file=sys.stderr))
    held_out = "test" if "test" in summary.metrics else "validation"
    print(f"\n{held_out} ({'held out' if held_out == 'test' else 'used to pick the best epoch'}): {entity_headline(summary.metrics[held_out])}")
    for kind, v in summary.metrics[held_out]["per_type"].items():
        print(f"  {kind:<16} precision {v['precision']:.3f}  recall {v['recall']:.3f}  F1 {v['f1']:.3f}  ({v['support']} entities)")
    print(f"time: {summary.seconds:.0f} s in total")
    print(f"model: {summary.path}  (try: headstart predict {summary.path} \"Peter Blackburn works for the EU in Brussels.\")")
    if summary.interrupted:
        print("note: training was interrupted; the saved model is the best one reached before that.")
    return 0
