"""Does a run's model give the same predictions in plain transformers as in headstart?

Loads MODEL (a run directory, or the folder `headstart merge` wrote for a LoRA run) with
`transformers.pipeline("text-classification")` — nothing from headstart — and compares its labels
and probabilities with `headstart.api.predict_texts(RUN)` on the texts of DATA (a TSV/CSV with a
text column), then scores both against DATA's labels.

    python benchmarks/plain_load_check.py RUN DATA [--model MERGED_FOLDER] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("data")
    parser.add_argument("--model", help="folder plain transformers loads (default: RUN itself)")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--text-column", default="sentence")
    parser.add_argument("--label-column", default="label")
    args = parser.parse_args()

    from transformers import pipeline

    from headstart.api import predict_texts
    from headstart.data.readers import read_table

    table = read_table(args.data)
    rows = table.rows[: args.limit or None]
    texts = [row[args.text_column] for row in rows]
    gold = [str(row[args.label_column]) for row in rows]

    started = time.perf_counter()
    ours = predict_texts(args.run, texts)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    plain = pipeline("text-classification", model=args.model or args.run, top_k=None, device="cpu")(texts, batch_size=64)
    plain_s = time.perf_counter() - started

    plain_labels = [max(scores, key=lambda s: s["score"])["label"] for scores in plain]
    diffs = [abs(mine["probabilities"][s["label"]] - s["score"]) for mine, scores in zip(ours, plain) for s in scores]
    result = {
        "run": args.run,
        "plain_model": args.model or args.run,
        "texts": len(texts),
        "same_label": sum(m["label"] == p for m, p in zip(ours, plain_labels)),
        "max_probability_difference": float(np.max(diffs)),
        "headstart_accuracy": float(np.mean([m["label"] == g for m, g in zip(ours, gold)])),
        "plain_transformers_accuracy": float(np.mean([p == g for p, g in zip(plain_labels, gold)])),
        "headstart_seconds": round(ours_s, 1),
        "plain_seconds": round(plain_s, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
