"""``headstart diagnose``: how well a base model fits your text, before any training."""

from __future__ import annotations

import argparse
import json

from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.diagnose.report import DiagnoseConfig

ADVICE = {
    "fine-tune": "fine-tune directly:  headstart train {data} --base {base}",
    "adapt": "adapt on unlabeled in-domain text first:  headstart adapt {base} YOUR_TEXT.txt --output adapted/  then  headstart train {data} --base adapted/",
    "pretrain": "pre-train from scratch if you have several MB of in-domain text:  headstart pretrain YOUR_TEXT.txt --output mybase/  "
    "(with less text, adapting is the safer bet)",
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "diagnose",
        help="check how well a base model fits your text (sub-word fragmentation, unknown tokens, perplexity, label neighbours)",
        description="Measure, before any training, how well BASE fits the texts in DATA: share of words split into many sub-words, "
        "unknown-token rate, masked-LM pseudo-perplexity (when BASE has an MLM head) and nearest-neighbour label agreement of "
        "frozen embeddings (when DATA has labels). Ends with a plain recommendation: fine-tune, adapt first, or pre-train.",
    )
    parser.add_argument("base", help="catalog name (see 'headstart models') or local model folder")
    parser.add_argument("data", help="a labeled file (.csv/.tsv/.jsonl/.parquet) or unlabeled text (.txt)")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags given here win)")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--run", metavar="RUN_DIR", help="also save the measurements as RUN_DIR/diagnosis.json and refresh that run's model card and report")
    add_dataclass_arguments(parser, DiagnoseConfig)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.catalog.resolve import resolve_base
    from headstart.diagnose.report import diagnose

    if args.run:
        from headstart.runs.load import read_record

        read_record(args.run)  # a bad run directory fails before the measurements, not after
    result = diagnose(resolve_base(args.base), args.data, build_dataclass(DiagnoseConfig, args))
    if args.run:
        from pathlib import Path

        from headstart.report.documents import refresh_documents
        from headstart.runs.atomic import atomic_write_json

        atomic_write_json(Path(args.run) / "diagnosis.json", result.to_dict())
        print(f"written: {Path(args.run) / 'diagnosis.json'}; refreshed: {', '.join(str(p) for p in refresh_documents(args.run))}")
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    v = result.vocabulary
    print(f"{result.base} on {result.texts} texts from {args.data}")
    print(f"  words split into 3+ sub-words: {v.fragmented_share:.1%}  ({v.pieces_per_word:.2f} pieces per word)")
    if v.examples:
        print(f"  e.g. {';  '.join(v.examples[:5])}")
    print(f"  unknown tokens: {v.unknown_rate:.2%}")
    if result.pseudo_perplexity:
        p = result.pseudo_perplexity
        print(f"  pseudo-perplexity: {p['pseudo_perplexity']:.1f} over {p['tokens']} tokens; {p['ratio_to_reference']:.2f}x that on everyday English ({p['reference']:.1f})")
    else:
        print("  pseudo-perplexity: n/a (the base has no masked-LM head)")
    if result.neighbours:
        n = result.neighbours
        print(f"  nearest-neighbour label agreement: {n['knn_agreement']:.1%}  (always guessing the commonest label: {n['majority_rate']:.1%})")
    else:
        print("  nearest-neighbour label agreement: n/a (no labels in DATA)")
    print(f"\nrecommendation: {ADVICE[result.verdict].format(base=args.base, data=args.data)}")
    for reason in result.reasons:
        print(f"  - {reason}")
    return 0
