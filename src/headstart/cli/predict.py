"""``headstart predict``: labels and probabilities for texts or a file."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from tqdm.auto import tqdm

from headstart.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("predict", help="predict labels for texts or a file with a trained run", description="Predict with a run directory written by 'headstart train'.")
    parser.add_argument("run_dir", help="run directory")
    parser.add_argument("texts", nargs="*", help="texts to classify")
    parser.add_argument("--file", metavar="PATH", help="file of texts (.csv, .tsv, .jsonl, .parquet)")
    parser.add_argument("--out", metavar="PATH", help="with --file: CSV to write (input columns + predicted_label, score, prob_LABEL); default: stdout")
    parser.add_argument("--text-column", metavar="NAME", help="text column of --file [default: detected]")
    parser.add_argument("--encoding", default="utf-8", help="encoding of --file [default: utf-8]")
    parser.add_argument("--batch-size", type=int, default=64, metavar="N", help="texts per forward pass [default: 64]")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    parser.set_defaults(handler=run)


def _write_csv(rows: list[dict], columns: list[str], out: str | None) -> None:
    from headstart.runs.atomic import atomic_write_text

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    if out:
        atomic_write_text(Path(out), buffer.getvalue())
    else:
        sys.stdout.write(buffer.getvalue())


def run(args: argparse.Namespace) -> int:
    from headstart.api import predict_texts
    from headstart.data.columns import TEXT_NAMES, pick_column
    from headstart.data.readers import read_table
    from headstart.deploy.backends import load_predictor

    if not args.texts and not args.file:
        raise ConfigError("give texts to classify, or --file PATH. Example: headstart predict RUN_DIR \"my card never arrived\"")
    if args.texts and args.file:
        raise ConfigError("give either texts or --file, not both.")
    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1; got {args.batch_size}.")
    loaded = load_predictor(args.run_dir)
    if args.texts:
        results = predict_texts(loaded, args.texts, args.batch_size)
        for text, result in zip(args.texts, results):
            if args.json:
                print(json.dumps({"text": text, **result}))
            else:
                print(f"{result['label']}\t{result['score']:.4f}\t{text}")
        return 0
    table = read_table(args.file, args.encoding)
    column = pick_column(table, args.text_column, TEXT_NAMES, "text", "--text-column")
    texts = ["" if row.get(column) is None else str(row.get(column)) for row in table.rows]
    results: list[dict] = []
    chunk = max(args.batch_size * 16, 256)
    with tqdm(total=len(texts), desc="predicting", unit="text", file=sys.stderr, disable=len(texts) < chunk) as bar:
        for start in range(0, len(texts), chunk):
            results.extend(predict_texts(loaded, texts[start : start + chunk], args.batch_size))
            bar.update(min(chunk, len(texts) - start))
    names = loaded.label_names
    rows = []
    for row, result in zip(table.rows, results):
        out = dict(row)
        out["predicted_label"] = result["label"]
        out["score"] = round(result["score"], 6)
        out.update({f"prob_{n}": round(result["probabilities"][n], 6) for n in names})
        rows.append(out)
    if args.json:
        for row in rows:
            print(json.dumps(row, default=str))
    else:
        _write_csv(rows, table.columns + ["predicted_label", "score"] + [f"prob_{n}" for n in names], args.out)
    if args.out:
        print(f"wrote {len(rows)} predictions to {args.out}", file=sys.stderr)
    return 0
