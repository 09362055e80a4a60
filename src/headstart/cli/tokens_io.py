"""``predict`` and ``eval`` for token-classification (NER) runs; cli/predict.py and cli/evaluate.py hand over here."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from headstart.errors import ConfigError


def is_token_run_dir(path: str) -> bool:
    """True when ``path`` is a finished run whose record says token-classification."""
    from headstart.runs.load import read_record
    from headstart.runs.tokens_run import is_token_run

    return is_token_run(read_record(Path(path)))


def load_for_serving(path: str):
    """A token run for ``serve`` (its /predict then returns entity spans)."""
    from headstart.api_tokens import load_token_run

    return load_token_run(path)


def _file_texts(path: str, encoding: str, column: str | None) -> list[str]:
    """Texts of a table (text column) or, for .txt files, one text per non-empty line."""
    if Path(path).suffix.lower() == ".txt":
        return [line for line in Path(path).read_text(encoding=encoding).splitlines() if line.strip()]
    from headstart.data.columns import TEXT_NAMES, pick_column
    from headstart.data.readers import read_table

    table = read_table(path, encoding)
    name = pick_column(table, column, TEXT_NAMES, "text", "--text-column")
    return ["" if row.get(name) is None else str(row.get(name)) for row in table.rows]


def predict(args: argparse.Namespace) -> int:
    """Entities as character spans: one JSON line per text (``--json``) or one line per entity."""
    from headstart.api_tokens import load_token_run, predict_entities
    from headstart.runs.atomic import atomic_write_text

    if getattr(args, "pair", None):
        raise ConfigError("--pair is for sentence-pair runs; this run tags entities in single texts.")
    tagger = load_token_run(args.run_dir)
    texts = list(args.texts) if args.texts else _file_texts(args.file, args.encoding, args.text_column)
    results = predict_entities(tagger, texts, args.batch_size)
    lines = [json.dumps({"text": text, "entities": found}, ensure_ascii=False) for text, found in zip(texts, results)]
    if args.out:
        atomic_write_text(Path(args.out), "\n".join(lines) + "\n")
        print(f"wrote entities of {len(lines)} texts to {args.out} (JSON lines)")
    elif args.json or args.file:
        print("\n".join(lines))
    else:
        for text, found in zip(texts, results):
            print(text)
            for e in found:
                print(f"  {e['start']:>5}-{e['end']:<5} {e['label']:<14} {e['score']:.4f}  {e['text']}")
            if not found:
                print("  (no entities)")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    """Entity-level P/R/F1 overall and per type on a tagged file."""
    from headstart.api_tokens import evaluate_token_run
    from headstart.evaluation.entities import entity_headline
    from headstart.runs.atomic import atomic_write_json

    metrics = evaluate_token_run(args.run_dir, args.data, getattr(args, "tag_scheme", "auto") or "auto", args.encoding)
    print(entity_headline(metrics))
    width = max([len(k) for k in metrics["per_type"]] + [4])
    print(f"{'type':<{width}}  precision  recall  f1      support")
    for kind, v in metrics["per_type"].items():
        print(f"{kind:<{width}}  {v['precision']:.3f}      {v['recall']:.3f}   {v['f1']:.3f}   {v['support']}")
    if args.out:
        atomic_write_json(Path(args.out), metrics)
        print(f"metrics written to {args.out}")
    else:
        print(json.dumps({k: metrics[k] for k in ("precision", "recall", "f1", "n_entities", "n_sentences")}))
    return 0
