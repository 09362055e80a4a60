"""``headstart generate``: outputs of a text-to-text run for texts or a file."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

from headstart.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "generate",
        help="generate outputs for texts or a file with a text-to-text run",
        description="Greedy generation with a run directory written by 'headstart train --task text2text' (its prompt template, input truncation and stop string).",
    )
    parser.add_argument("run_dir", help="run directory")
    parser.add_argument("texts", nargs="*", help="inputs to generate from")
    add_generation_file_arguments(parser)
    parser.set_defaults(handler=run)


def add_generation_file_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--file", metavar="PATH", help="file of inputs (.csv, .tsv, .jsonl, .parquet)")
    parser.add_argument("--out", metavar="PATH", help="with --file: file to write, by its suffix: .csv (the input columns plus 'generated') or .jsonl (each input row plus 'generated'), written atomically; default: JSON lines on stdout")
    parser.add_argument("--text-column", metavar="NAME", help="input column of --file [default: detected]")
    parser.add_argument("--encoding", default="utf-8", help="encoding of --file [default: utf-8]")
    parser.add_argument("--max-new-tokens", type=int, metavar="N", help="most tokens generated per input [default: the run's]")
    parser.add_argument("--batch-size", type=int, default=8, metavar="N", help="inputs generated together [default: 8]")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of plain text")


def is_generation_run_dir(path: str) -> bool:
    """True for a complete text-to-text run ('predict' and 'eval' hand those to this module)."""
    from headstart.errors import RunDirError
    from headstart.runs.generation_run import is_generation_run

    try:
        return is_generation_run(path)
    except RunDirError:
        return False


def evaluate(args: argparse.Namespace) -> int:
    """``headstart eval`` of a text-to-text run: ROUGE and exact match on a file of input/target pairs."""
    from headstart.api_generation import evaluate_generation_run
    from headstart.evaluation.generation import generation_headline
    from headstart.runs.atomic import atomic_write_json

    metrics = evaluate_generation_run(args.run_dir, args.data, args.text_column, getattr(args, "target_column", None), args.encoding)
    print(generation_headline(metrics))
    if args.out:
        atomic_write_json(Path(args.out), metrics)
        print(f"metrics written to {args.out}")
    else:
        print(json.dumps(metrics))
    return 0


def _input_column(table, wanted: str | None) -> str:
    from headstart.data.columns import pick_column
    from headstart.data.text2text import INPUT_NAMES

    return pick_column(table, wanted, INPUT_NAMES, "input", "--text-column")


OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl"}
"""--out suffixes of a text-to-text run. Not TSV: generated text holds tabs and newlines that TSV cannot quote."""


def output_format(out: str) -> str:
    """'csv' or 'jsonl' from the suffix of ``--out``; any other suffix is refused before the model loads."""
    suffix = Path(out).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ConfigError(
            f"--out {out}: a text-to-text run writes .csv (the input columns plus 'generated') or .jsonl (each input row plus 'generated'); "
            f"got {suffix or 'no suffix'!r}. Name the file with one of those suffixes."
        )
    return OUTPUT_FORMATS[suffix]


def run(args: argparse.Namespace) -> int:
    from headstart.api_generation import generate_from_run
    from headstart.data.readers import read_table
    from headstart.deploy.stream import RowWriter
    from headstart.runs.atomic import atomic_write_text
    from headstart.runs.generation_run import load_generation_run

    texts = list(getattr(args, "texts", []) or [])
    if not texts and not args.file:
        raise ConfigError("give inputs to generate from, or --file PATH. Example: headstart generate RUN_DIR \"#Person1#: Hi ...\"")
    if texts and args.file:
        raise ConfigError("give either inputs or --file, not both.")
    max_new_tokens = getattr(args, "max_new_tokens", None)  # absent when 'predict' hands a run over
    if args.batch_size < 1 or (max_new_tokens is not None and max_new_tokens < 1):
        raise ConfigError("--batch-size and --max-new-tokens must be at least 1.")
    out_format = output_format(args.out) if args.file and args.out else "jsonl"
    loaded = load_generation_run(args.run_dir)
    if texts:
        for text, output in zip(texts, generate_from_run(loaded, texts, max_new_tokens, args.batch_size)):
            print(json.dumps({"input": text, "generated": output}, ensure_ascii=False) if args.json else output)
        return 0
    table = read_table(args.file, args.encoding)
    column = _input_column(table, args.text_column)
    inputs = ["" if row.get(column) is None else str(row.get(column)) for row in table.rows]
    outputs = generate_from_run(loaded, inputs, max_new_tokens, args.batch_size)
    columns = table.columns + [c for c in ["generated"] if c not in table.columns]
    buffer = io.StringIO()
    RowWriter(buffer, columns, out_format).write([{**row, "generated": output} for row, output in zip(table.rows, outputs)])
    if args.out:
        atomic_write_text(Path(args.out), buffer.getvalue())
        print(f"wrote {len(outputs)} generations to {args.out} ({out_format.upper()})", file=sys.stderr)
    else:
        sys.stdout.write(buffer.getvalue())
    return 0
