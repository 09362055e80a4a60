"""Paired headstart-vs-setfit statistics over seeds measured in different rounds of benchmarks/fewshot.py.

The results files of the earlier rounds (seeds 0-4) were not kept, but BENCHMARKS.md prints their per-seed
accuracies; both engines are deterministic per seed, so those printed values and a newer results file (seeds 5-9)
together give the ten-seed paired difference and its 95% interval (fewshot.paired). SST-2's three printed decimals
are mapped back to the exact k/872.

    python benchmarks/paired_seeds.py bench-out/s11/fewshot-cpu-8-seeds5-9.json bench-out/s11/fewshot-cpu-sst2-64-seeds5-9.json bench-out/s11/fewshot-cpu-trec-64-seeds5-9.json
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402

PRINTED = {
    # setting: (headstart seeds 0-4, setfit seeds 0-4, test texts), as BENCHMARKS.md prints them for the current code
    "sst2/8": ([0.572, 0.657, 0.599, 0.689, 0.659], [0.591, 0.641, 0.602, 0.642, 0.662], 872),  # sixth round
    "trec/8": ([0.772, 0.806, 0.694, 0.732, 0.886], [0.728, 0.698, 0.666, 0.654, 0.832], 500),  # sixth round
    "ag_news/8": ([0.817, 0.820, 0.848, 0.800, 0.770], [0.821, 0.828, 0.855, 0.813, 0.777], 1000),  # sixth round
    "trec/64": ([0.918, 0.928, 0.908, 0.918, 0.894], [0.908, 0.928, 0.908, 0.910, 0.892], 500),  # eighth round
    "ag_news/64": ([0.865, 0.864, 0.852, 0.863, 0.864], [0.872, 0.859, 0.853, 0.864, 0.872], 1000),  # eighth round
    "sst2/64": ([0.791, 0.771, 0.757, 0.786, 0.795], [0.806, 0.765, 0.758, 0.794, 0.796], 872),  # eighth round
}


def main() -> int:
    newer: dict = {}
    for path in sys.argv[1:]:
        newer.update(json.loads(Path(path).read_text())["settings"])
    for key, (headstart, setfit, n_test) in PRINTED.items():
        runs = {engine: [{"seed": seed, "accuracy": round(a * n_test) / n_test} for seed, a in enumerate(values)] for engine, values in (("headstart", headstart), ("setfit", setfit))}
        for engine in runs:
            runs[engine] += newer.get(key, {}).get("runs", {}).get(engine, [])
        pair = fewshot.paired(runs)
        means = {e: statistics.mean(r["accuracy"] for r in rs) for e, rs in runs.items()}
        stds = {e: statistics.stdev(r["accuracy"] for r in rs) for e, rs in runs.items()}
        low, high = pair["diff_ci95"]
        behind = pair["seeds"] - pair["headstart_ahead"] - pair["tied"]
        print(f"{key:<10} {pair['seeds']} seeds  headstart {means['headstart']:.4f} ± {stds['headstart']:.4f}  setfit {means['setfit']:.4f} ± {stds['setfit']:.4f}  "
              f"paired {pair['diff_mean'] * 100:+.2f} pt [{low * 100:+.2f}, {high * 100:+.2f}]  ahead/tied/behind {pair['headstart_ahead']}/{pair['tied']}/{behind}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
