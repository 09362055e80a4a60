"""Paired comparison of the variants in benchmarks/contrastive_tuning.py's JSON lines, against a baseline on the same seeds.

    python benchmarks/tuning_pairs.py bench-out/s25/ag8.jsonl [MORE.jsonl ...] [--column median_C10] [--also tta_C10 ...]

Rows are grouped by dataset and size, then by variant: every option column of the row (passes, overrides, variant
switches) apart from the seed, the time and the accuracy columns. Within each dataset and size, the variant of the
first row read is the baseline (run the default first); every other variant is scored against it on the seeds both
ran, with fewshot.paired (mean difference in points, its 95% t-interval, seeds ahead / tied / behind), beside the mean
accuracy and training seconds of each. ``--also COLUMN`` scores another accuracy column of the same rows (a head
variant read from the same runs, such as ``tta_C10``) as one more variant, labelled with that column.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402  (the benchmark's paired statistics)

SCORE_PREFIXES = ("median_", "unit_", "views_", "viewacc_", "concat_", "member", "anchored_", "tta_")
NOT_OPTIONS = {"dataset", "size", "seed", "train_seconds"}


def variant(row: dict) -> tuple:
    return tuple(sorted((k, json.dumps(v)) for k, v in row.items() if k not in NOT_OPTIONS and not k.startswith(SCORE_PREFIXES)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--column", default="median_C10", help="the accuracy column compared (default: the default head's)")
    parser.add_argument("--also", nargs="+", default=[], metavar="COLUMN", help="more accuracy columns of the same rows, each scored as one more variant")
    args = parser.parse_args()
    groups: dict[tuple, dict[tuple, list[dict]]] = {}
    for name in args.files:
        for line in Path(name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                group = groups.setdefault((row["dataset"], row["size"]), {})
                group.setdefault(variant(row), []).append({**row, "accuracy": row[args.column]})
                for column in (c for c in args.also if c in row):
                    group.setdefault(variant(row) + (("column", column),), []).append({**row, "accuracy": row[column]})
    for (dataset, size), variants in groups.items():
        (base_key, base_rows), *others = variants.items()
        print(f"{dataset}/{size}: baseline {dict(base_key)}: {statistics.mean(r['accuracy'] for r in base_rows):.4f}, {statistics.mean(r['train_seconds'] for r in base_rows):.1f} s a seed ({len(base_rows)} seeds)")
        for key, rows in others:
            stats = fewshot.paired({"setfit": base_rows, "headstart": rows})
            if not stats["seeds"]:
                print(f"  {dict(key)}: no seed in common with the baseline")
                continue
            shared = {r["seed"] for r in base_rows} & {r["seed"] for r in rows}
            low, high = stats["diff_ci95"] or (float("nan"), float("nan"))
            behind = stats["seeds"] - stats["headstart_ahead"] - stats["tied"]
            print(
                f"  {dict(key)}: {statistics.mean(r['accuracy'] for r in rows if r['seed'] in shared):.4f} against {statistics.mean(r['accuracy'] for r in base_rows if r['seed'] in shared):.4f} on seeds {sorted(shared)}; "
                f"{100 * stats['diff_mean']:+.2f} points [{100 * low:+.2f}, {100 * high:+.2f}], ahead / tied / behind {stats['headstart_ahead']} / {stats['tied']} / {behind}; "
                f"{statistics.mean(r['train_seconds'] for r in rows):.1f} s a seed"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
