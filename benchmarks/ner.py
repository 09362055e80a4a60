"""Token classification (NER): entity F1 of a fine-tuned base on CoNLL-2003, WNUT-17 and BC5CDR.

Each dataset trains on a seeded sample of N training sentences (``--sizes``; 0 = the
full training set), picks the best epoch on the official validation file and reports
entity-level precision/recall/F1 (seqeval conventions, micro) on the official test
file. Where a sample size and the full set both ran, the JSON also gives each F1 as a
ratio of the full-set F1 (the anchor).

    python benchmarks/ner.py --datasets conll2003 wnut17 bc5cdr --sizes 1000 --epochs 4
    python benchmarks/ner.py --datasets wnut17 --sizes 0 --epochs 3     # full WNUT-17 training set
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = {
    "conll2003": ("conll2003/eng.train", "conll2003/eng.testa", "conll2003/eng.testb"),
    "wnut17": ("wnut17/wnut17train.conll", "wnut17/emerging.dev.conll", "wnut17/emerging.test.annotated"),
    "bc5cdr": ("bc5cdr/iob/train.tsv", "bc5cdr/iob/devel.tsv", "bc5cdr/iob/test.tsv"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS), default=sorted(DATASETS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000], help="training sentences per run (0 = all)")
    parser.add_argument("--base", default="minilm-l6")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-validation", type=int, default=500, help="validation sentences that pick the best epoch (0 = all); test is always scored in full")
    parser.add_argument("--out", default="bench-out")
    args = parser.parse_args()

    from headstart.api_tokens import train_token_run
    from headstart.data.tokens import TokenOptions
    from headstart.runs.tokens_run import TokenFiles
    from headstart.training.config import TrainConfig

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.datasets:
        train, validation, test = (str(DATA / p) for p in DATASETS[name])
        results = []
        for size in args.sizes:
            config = TrainConfig(method="full", epochs=args.epochs, learning_rate=args.learning_rate, batch_size=args.batch_size, max_length=args.max_length, seed=args.seed, patience=2)
            options = TokenOptions(max_train_sentences=size or None, max_validation_sentences=args.max_validation or None)
            started = time.perf_counter()
            run_dir = out / "runs" / f"ner-{name}-{size or 'full'}"
            summary = train_token_run(TokenFiles(train, validation, test), options, args.base, config, run_dir, overwrite=True, log=lambda m: print(m, file=sys.stderr, flush=True))
            record = json.loads(json.dumps(__import__("yaml").safe_load((run_dir / "headstart.yaml").read_text())))
            results.append(
                {
                    "train_sentences": record["data"]["splits"]["train"]["sentences"],
                    "size_flag": size,
                    "epochs_run": record["result"]["epochs_run"],
                    "best_epoch": record["result"]["best_epoch"],
                    "seconds": round(time.perf_counter() - started, 1),
                    "train_seconds": round(record["result"]["train_seconds"], 1),
                    "validation": {k: summary.metrics["validation"][k] for k in ("precision", "recall", "f1")},
                    "test": {k: summary.metrics["test"][k] for k in ("precision", "recall", "f1")},
                    "test_per_type": {k: round(v["f1"], 4) for k, v in summary.metrics["test"]["per_type"].items()},
                }
            )
            print(f"{name} {size or 'full'}: test entity F1 {summary.metrics['test']['f1']:.4f}", flush=True)
        full = next((r for r in results if r["size_flag"] == 0), None)
        if full:
            for r in results:
                r["test_f1_ratio_to_full"] = round(r["test"]["f1"] / full["test"]["f1"], 4) if full["test"]["f1"] else None
        report = {
            "benchmark": "ner",
            "dataset": name,
            "base": args.base,
            "options": vars(args),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": platform.platform(),
            "note": "2 CPU cores shared with other jobs while measuring: times are not comparable across runs",
            "results": results,
        }
        path = out / f"ner-{name}-{'-'.join(str(s) for s in args.sizes)}.json"
        path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
