"""``headstart adapt``: continued masked-LM pre-training of a base model on unlabeled text."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.corpus.reader import CorpusSpec
from headstart.errors import ConfigError
from headstart.pretrain.adapt import AdaptConfig


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "adapt",
        help="continue masked-LM pre-training of a base model on your unlabeled text",
        description="Adapt a base model to your domain with no labels: continued masked-LM pre-training on your own text "
        "(.txt with one document per line or blank-line-separated paragraphs, or the text column of a CSV/JSONL). "
        "Writes a new base-model folder for 'headstart train --base DIR' and reports held-out pseudo-perplexity before and after.",
    )
    parser.add_argument("base", help="catalog name (see 'headstart models') or local model folder")
    parser.add_argument("corpus", help="unlabeled text: .txt, or .csv/.tsv/.jsonl/.parquet with a text column")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags given here win)")
    parser.add_argument("--output", "-o", metavar="DIR", help="base-model folder to write [default: runs/BASE-adapted-TIMESTAMP]")
    parser.add_argument("--overwrite", action="store_true", help="replace --output (and any unfinished checkpoint) if it exists")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its last checkpoint (same options)")
    parser.add_argument("--allow-download", action="store_true", help="allow BASE to be a Hugging Face hub id that is downloaded (off by default)")
    add_dataclass_arguments(parser, CorpusSpec)
    add_dataclass_arguments(parser, AdaptConfig)
    parser.set_defaults(handler=run)


def default_output(base: str) -> Path:
    return Path("runs") / f"{Path(base).name}-adapted-{time.strftime('%Y%m%d-%H%M%S')}"


def run(args: argparse.Namespace) -> int:
    from headstart.catalog.resolve import resolve_base
    from headstart.corpus.reader import load_corpus
    from headstart.pretrain.adapt import adapt

    if args.resume and not args.output:
        raise ConfigError("--resume needs the --output DIR of the run to continue (its checkpoint is kept beside that folder).")
    corpus = load_corpus(args.corpus, build_dataclass(CorpusSpec, args))
    base = resolve_base(args.base, args.allow_download)
    config = build_dataclass(AdaptConfig, args)
    output = Path(args.output) if args.output else default_output(args.base)
    result = adapt(base, corpus, config, output, args.overwrite, args.resume, log=lambda m: tqdm.write(m, file=sys.stderr))
    before, after = result.before["pseudo_perplexity"], result.after["pseudo_perplexity"]
    note = "" if result.had_head else " (the base had no MLM head: 'before' used an untrained head; see headstart-base.yaml for the value after head warm-up)"
    print(f"\nheld-out pseudo-perplexity: {before:.2f} before, {after:.2f} after ({result.after['tokens']} tokens){note}")
    print(f"held-out masked-token accuracy: {result.before['mlm_accuracy']:.3f} before, {result.after['mlm_accuracy']:.3f} after")
    print(f"time: {result.seconds:.0f} s for {result.steps} steps")
    print(f"base model: {result.path}  (next: headstart train DATA --base {result.path})")
    return 0
