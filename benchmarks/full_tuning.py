"""Full fine-tuning at few labels: training options compared on tuning seeds, as ``headstart train`` runs it.

Each seed draws K examples per class (``fewshot.sample_per_class``), holds 15% out for validation exactly as the
default run does (``fewshot.default_split``), and trains ``--method full`` once per variant on that same split;
test accuracy on the benchmark's fixed test sample, epochs run, best epoch and seconds go to a JSONL file, one row
per (variant, seed), then a table of means and the paired difference of each variant from the first.

    python benchmarks/full_tuning.py --dataset ag_news --size 64 --seeds 10 11 12 \\
        --variant default --variant patience3:patience=3 --variant lr3e-5:learning_rate=3e-5 --out bench-out/full.jsonl

``--summarise RESULTS.jsonl`` prints that table again for every seed in a results file (runs appended to one file
pool). A variant is NAME or NAME:FIELD=VALUE,FIELD=VALUE with TrainConfig fields (ints, floats or strings).
Seeds 0-2 are refused (tuning_data): the benchmark's seeds are not tuned on.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402
import tuning  # noqa: E402  (what the tuning scripts share)


def parse_variant(text: str) -> tuple[str, dict]:
    name, _, assignments = text.partition(":")
    options = {}
    for assignment in filter(None, assignments.split(",")):
        key, _, value = assignment.partition("=")
        for kind in (int, float):
            try:
                options[key] = kind(value)
                break
            except ValueError:
                continue
        else:
            options[key] = value
    return name, options


def summarise(path: str) -> None:
    """Per dataset/size in a results file (all seeds, across runs): each variant's mean ± std, its paired difference
    from the first variant with a normal 95% half-width (1.96 sd / sqrt n), seeds up / down, best epochs, mean seconds."""
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    for setting in dict.fromkeys((r["dataset"], r["size"]) for r in rows):
        mine = [r for r in rows if (r["dataset"], r["size"]) == setting]
        variants = list(dict.fromkeys(r["variant"] for r in mine))
        runs = {v: {r["seed"]: r for r in mine if r["variant"] == v} for v in variants}
        print(f"\n{setting[0]}/{setting[1]}: variant, seeds, mean ± std, paired difference from {variants[0]} (points), up/down, best epochs, train s")
        for name in variants:
            seeds = sorted(set(runs[name]) & set(runs[variants[0]]))
            accuracy = [runs[name][s]["accuracy"] for s in seeds]
            diffs = [100 * (runs[name][s]["accuracy"] - runs[variants[0]][s]["accuracy"]) for s in seeds]
            half = 1.96 * statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else 0.0
            print(f"{name:>16}  {len(seeds)}  {statistics.mean(accuracy):.4f} ± {statistics.stdev(accuracy) if len(seeds) > 1 else 0:.4f}  "
                  f"{statistics.mean(diffs):+.2f} ±{half:.2f}  {sum(d > 0 for d in diffs)}/{sum(d < 0 for d in diffs)}  "
                  f"{[runs[name][s]['best_epoch'] for s in seeds]}  {statistics.mean(runs[name][s]['train_seconds'] for s in seeds):.1f}")


def main() -> int:
    if sys.argv[1:2] == ["--summarise"]:  # python benchmarks/full_tuning.py --summarise RESULTS.jsonl
        summarise(sys.argv[2])
        return 0
    parser = tuning.tuning_parser(__doc__)
    parser.add_argument("--variant", action="append", required=True, help="NAME[:FIELD=VALUE,...]; the first is the reference")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    pool, test, labels = tuning.tuning_data(args)
    variants = [parse_variant(v) for v in args.variant]

    from headstart.catalog.resolve import resolve_base
    from headstart.tasks.classification import evaluate_split, train_classifier
    from headstart.training.config import TrainConfig

    base = resolve_base("minilm-l6")
    test_split = fewshot.labeled(test, "test")
    for seed in args.seeds:
        data = fewshot.default_split(fewshot.sample_per_class(pool, args.size, seed), labels)
        for name, options in variants:
            config = TrainConfig(method="full", seed=seed, **options)
            config.validate()
            start = time.perf_counter()
            trained = train_classifier(data, base, config, log=lambda message: None)
            seconds = time.perf_counter() - start
            metrics, _ = evaluate_split(trained.model, trained.tokenizer, test_split, labels, config, trained.mixed_precision)
            tuning.append_row({"dataset": args.dataset, "size": args.size, "seed": seed, "variant": name, "options": options,
                                "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "train_seconds": round(seconds, 1),
                                "epochs_run": trained.loop.epochs_run, "best_epoch": trained.loop.best_epoch,
                                "train_examples": len(data.train), "validation_examples": len(data.validation)}, args.out)
    summarise(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
