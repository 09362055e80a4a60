"""``headstart pretrain``: a WordPiece tokenizer and a small encoder trained from scratch on a corpus."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.corpus.reader import CorpusSpec
from headstart.errors import ConfigError
from headstart.pretrain.scratch import PretrainConfig


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "pretrain",
        help="pre-train a small encoder (and its tokenizer) from scratch on unlabeled text",
        description="Train a WordPiece tokenizer and a small BERT (or, with --share-layers, ALBERT-style) encoder from scratch "
        "with whole-word masked-LM (optionally plus next-sentence or sentence-order prediction). Writes a base-model folder for "
        "'headstart train --base DIR'.",
    )
    parser.add_argument("corpus", help="unlabeled text: .txt, or .csv/.tsv/.jsonl/.parquet with a text column")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags given here win)")
    parser.add_argument("--output", "-o", metavar="DIR", help="base-model folder to write [default: runs/pretrained-SIZE-TIMESTAMP]")
    parser.add_argument("--overwrite", action="store_true", help="replace --output (and any unfinished checkpoint) if it exists")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its last checkpoint (same options)")
    add_dataclass_arguments(parser, CorpusSpec)
    add_dataclass_arguments(parser, PretrainConfig)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.corpus.reader import load_corpus
    from headstart.pretrain.scratch import pretrain

    if args.resume and not args.output:
        raise ConfigError("--resume needs the --output DIR of the run to continue (its checkpoint is kept beside that folder).")
    config = build_dataclass(PretrainConfig, args)
    config.validate()
    corpus = load_corpus(args.corpus, build_dataclass(CorpusSpec, args))
    output = Path(args.output) if args.output else Path("runs") / f"pretrained-{config.size}-{time.strftime('%Y%m%d-%H%M%S')}"
    result = pretrain(corpus, config, output, args.overwrite, args.resume, log=lambda m: tqdm.write(m, file=sys.stderr))
    s, p = result.scores, result.parameters
    print(f"\nheld-out masked-token accuracy: {s['mlm_accuracy']:.3f} (most-frequent-token baseline {s['majority_accuracy']:.3f}, {s['masked_tokens']} masked tokens)")
    print(f"held-out pseudo-perplexity: {s['pseudo_perplexity']:.1f} over {s['tokens']} tokens")
    print(f"parameters: {p['this_model']:,} (BERT-style {p['bert']:,}; ALBERT-style shared {p['albert_shared']:,}, unshared {p['albert_unshared']:,})")
    print(f"time: {result.seconds:.0f} s for {result.steps} steps")
    print(f"base model: {result.path}  (next: headstart train DATA --base {result.path})")
    return 0
