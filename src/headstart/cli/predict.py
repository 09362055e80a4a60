"""``headstart predict``: labels and probabilities for texts or a file."""

from __future__ import annotations

import argparse
import json
import sys

from tqdm.auto import tqdm

from headstart.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("predict", help="predict labels for texts or a file with a trained run", description="Predict with a run directory written by 'headstart train' or 'headstart compress'. Files are streamed in chunks (bounded memory) with a progress bar.")
    parser.add_argument("run_dir", help="run directory")
    parser.add_argument("texts", nargs="*", help="texts to classify")
    parser.add_argument("--pair", action="append", metavar="TEXT", help="second text of a sentence pair, once per text (runs trained on pairs)")
    parser.add_argument("--file", metavar="PATH", help="file of texts (.csv, .tsv, .jsonl, .parquet)")
    parser.add_argument("--out", metavar="PATH", help="with --file: file to write, atomically; default: stdout. Classification runs: the input columns + predicted_label, score, prob_LABEL, as JSON lines for .jsonl, TSV for .tsv, else CSV. Text-to-text runs: the input columns + 'generated', as .csv or .jsonl (other suffixes are refused). Token (NER) runs: JSON lines of entity spans, whatever the suffix")
    parser.add_argument("--text-column", metavar="NAME", help="text column of --file [default: detected]")
    parser.add_argument("--text-pair-column", metavar="NAME", help="second-text column of --file, for a sentence-pair run [default: the run's, or detected]")
    parser.add_argument("--encoding", default="utf-8", help="encoding of --file [default: utf-8]")
    parser.add_argument("--batch-size", type=int, default=64, metavar="N", help="texts per forward pass [default: 64]")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.api import predict_texts
    from headstart.data.columns import TEXT_NAMES, pick_column
    from headstart.data.pairs import eval_columns, recorded_columns
    from headstart.deploy.backends import load_predictor
    from headstart.deploy.stream import RowWriter, atomic_output, output_format, stream_rows

    if not args.texts and not args.file:
        raise ConfigError("give texts to classify, or --file PATH. Example: headstart predict RUN_DIR \"my card never arrived\"")
    if args.texts and args.file:
        raise ConfigError("give either texts or --file, not both.")
    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1; got {args.batch_size}.")
    from headstart.cli import tokens_io

    if tokens_io.is_token_run_dir(args.run_dir):
        return tokens_io.predict(args)
    from headstart.cli import generate

    if generate.is_generation_run_dir(args.run_dir):
        return generate.run(args)
    loaded = load_predictor(args.run_dir)
    if args.pair and args.file:
        raise ConfigError("--pair is for texts given on the command line; with --file name the second-text column with --text-pair-column.")
    if args.texts:
        results = predict_texts(loaded, args.texts, args.batch_size, args.pair)
        for i, (text, result) in enumerate(zip(args.texts, results)):
            shown = {"text": text, "text_pair": args.pair[i]} if args.pair else {"text": text}
            if args.json:
                print(json.dumps({**shown, **result}))
            else:
                print(f"{result['label']}\t{result['score']:.4f}\t" + "\t".join(shown.values()))
        return 0
    stream = stream_rows(args.file, args.encoding, chunk_rows=max(args.batch_size * 16, 256))
    if recorded_columns(loaded.record)[1] or args.text_pair_column:
        column, pair_column = eval_columns(stream.sample(), loaded.record, args.text_column, args.text_pair_column)
    else:
        column, pair_column = pick_column(stream.sample(), args.text_column, TEXT_NAMES, "text", "--text-column"), None
    names = loaded.label_names
    fmt = output_format(args.out, args.json and not args.out)
    columns = stream.columns + ["predicted_label", "score"] + [f"prob_{n}" for n in names]
    with atomic_output(args.out) as handle, tqdm(total=stream.total, desc="predicting", unit="text", file=sys.stderr, disable=None) as bar:
        writer = RowWriter(handle, columns, fmt)
        for rows in stream.chunks():
            texts = ["" if row.get(column) is None else str(row.get(column)) for row in rows]
            pairs = None if pair_column is None else ["" if row.get(pair_column) is None else str(row.get(pair_column)) for row in rows]
            for row, result in zip(rows, predict_texts(loaded, texts, args.batch_size, pairs)):
                row["predicted_label"] = result["label"]
                row["score"] = round(result["score"], 6)
                row.update({f"prob_{n}": round(result["probabilities"][n], 6) for n in names})
            writer.write(rows)
            bar.update(len(rows))
    if args.out:
        print(f"wrote {writer.count} predictions to {args.out}", file=sys.stderr)
    return 0
