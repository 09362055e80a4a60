"""Paired headstart-vs-setfit statistics over seeds measured in different rounds of benchmarks/fewshot.py.

Most earlier rounds' results files were not kept, but BENCHMARKS.md prints their per-seed accuracies (PRINTED: every
setting's seeds 0-9, SST-2/64's and AG News/8's 20-39 as well (SST-2/64's 40-42 and AG News/8's 40-49, 60-69 and 70-74 too), AG News/64's 20-24, BANKING77/8's 0-4); both engines are deterministic per seed, so those
printed values and newer results files together give the paired difference and its 95% interval (fewshot.paired).
Printed decimals are mapped back to the exact k / test texts. Runs are merged by setting, engine and seed across the
printed values and all the files given (a file's run of a seed replaces the printed one; a file may hold one engine
only, as benchmarks/gpu_side_by_side.sh writes them, so a headstart-only rerun pairs with setfit's printed seeds), and
a setting found only in the files is reported too. Pass only files of one machine kind per call: GPU and CPU runs of a
seed differ, and so, by up to 0.23 point on the CPU, do bf16 and fp32 runs (BENCHMARKS.md, thirteenth round; newer
files record each run's precision).

    python benchmarks/paired_seeds.py                                              # the printed table
    python benchmarks/paired_seeds.py bench-out/s19/fewshot-ag8-deletion.json      # headstart rerun, setfit as printed
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402

PRINTED = {
    # setting: [(first seed, headstart from that seed on, setfit the same seeds, test texts), ...], as BENCHMARKS.md
    # prints them. Word-piece deletion (eighteenth session) changes only AG News/8 among these settings (SST-2 and TREC
    # texts are too short, the 64-per-class samples too large): its row is the deletion code's; setfit's are unchanged.
    "sst2/8": [(0, [0.572, 0.657, 0.599, 0.689, 0.659], [0.591, 0.641, 0.602, 0.642, 0.662], 872),  # sixth round
               (5, [0.5505, 0.7122, 0.6330, 0.6560, 0.6995], [0.5539, 0.7053, 0.6674, 0.6514, 0.6972], 872)],  # tenth round
    "trec/8": [(0, [0.772, 0.806, 0.694, 0.732, 0.886], [0.728, 0.698, 0.666, 0.654, 0.832], 500),  # sixth round
               (5, [0.782, 0.760, 0.896, 0.678, 0.874], [0.738, 0.744, 0.894, 0.646, 0.824], 500)],  # tenth round
    # AG News/8 on the current code (word-piece deletion on): headstart's seeds 0-9 from the eighteenth session (before
    # deletion: 0.817 0.820 0.848 0.800 0.770 / 0.849 0.836 0.837 0.819 0.820), setfit's from the sixth and tenth rounds;
    # seeds 20-26 side by side in the nineteenth session, 27-39 in the twenty-first, 40-49 and 60-69 in the twenty-sixth, 70-74 in the thirtieth.
    "ag_news/8": [(0, [0.818, 0.829, 0.855, 0.823, 0.773, 0.846, 0.838, 0.829, 0.843, 0.827],
                   [0.821, 0.828, 0.855, 0.813, 0.777, 0.854, 0.850, 0.834, 0.839, 0.824], 1000),
                  (20, [0.840, 0.821, 0.807, 0.858, 0.823, 0.852, 0.800, 0.836, 0.832, 0.858], [0.843, 0.817, 0.809, 0.862, 0.822, 0.846, 0.824, 0.837, 0.842, 0.858], 1000),
                  (30, [0.824, 0.824, 0.871, 0.857, 0.849, 0.852, 0.849, 0.836, 0.826, 0.814], [0.826, 0.837, 0.861, 0.858, 0.861, 0.854, 0.850, 0.836, 0.822, 0.822], 1000),
                  (40, [0.783, 0.843, 0.837, 0.840, 0.812, 0.826, 0.835, 0.830, 0.822, 0.800], [0.779, 0.845, 0.836, 0.838, 0.815, 0.821, 0.847, 0.821, 0.821, 0.800], 1000),  # side by side, twenty-sixth session (bench-out/s27)
                  (60, [0.841, 0.849, 0.807, 0.796, 0.849, 0.852, 0.858, 0.738, 0.815, 0.842], [0.846, 0.849, 0.807, 0.794, 0.850, 0.843, 0.862, 0.738, 0.811, 0.851], 1000),  # the same
                  (70, [0.843, 0.808, 0.794, 0.829, 0.750], [0.840, 0.826, 0.820, 0.834, 0.750], 1000)],  # thirtieth session (bench-out/s31): setfit beside headstart C = 1, the default rerun alone
    "trec/64": [(0, [0.918, 0.928, 0.908, 0.918, 0.894], [0.908, 0.928, 0.908, 0.910, 0.892], 500),  # eighth round
                (5, [0.930, 0.898, 0.920, 0.914, 0.928], [0.930, 0.896, 0.922, 0.916, 0.924], 500)],  # tenth round
    "ag_news/64": [(0, [0.865, 0.864, 0.852, 0.863, 0.864], [0.872, 0.859, 0.853, 0.864, 0.872], 1000),  # eighth round
                   (5, [0.879, 0.870, 0.870, 0.867, 0.857], [0.874, 0.867, 0.878, 0.874, 0.851], 1000),  # eleventh round
                   (20, [0.872, 0.872, 0.873, 0.853, 0.868], [0.865, 0.867, 0.866, 0.857, 0.869], 1000)],  # twenty-third session (bench-out/s24)
    # SST-2/64 on the current code (two-class runs make 16 passes, twenty-fifth session, bench-out/s26): headstart's
    # seeds 0-9 and 20-39 rerun alone (40-42 side by side), setfit's from the eighth and tenth rounds (0-9), the seventeenth session (20-29)
    # and the twenty-first (30-39). Before (32 passes): 0.791 0.771 0.757 0.786 0.795 0.7810 0.7810 0.7718 0.7821
    # 0.7867 / 0.7305 0.7477 0.7947 0.7477 0.7695 0.8028 0.7844 0.7775 0.7431 0.7683 / 0.7787 0.7718 0.7661 0.7638
    # 0.7718 0.7661 0.7752 0.7695 0.7878 0.7833.
    "sst2/64": [(0, [0.7970, 0.7695, 0.7523, 0.7833, 0.7970, 0.7787, 0.7718, 0.7775, 0.7993, 0.8005], [0.806, 0.765, 0.758, 0.794, 0.796, 0.7798, 0.7844, 0.7821, 0.7844, 0.7924], 872),
                (20, [0.7489, 0.7454, 0.8028, 0.7500, 0.7856, 0.8005, 0.7924, 0.7718, 0.7695, 0.7764], [0.7397, 0.7466, 0.7936, 0.7454, 0.7856, 0.7982, 0.7833, 0.7752, 0.7443, 0.7718], 872),
                (30, [0.7901, 0.7752, 0.7741, 0.7661, 0.7741, 0.7810, 0.7833, 0.7821, 0.7890, 0.7821], [0.7878, 0.7626, 0.7580, 0.7764, 0.7638, 0.7683, 0.7603, 0.7718, 0.7901, 0.7775], 872),
                (40, [0.7844, 0.7982, 0.7546], [0.7833, 0.8028, 0.7798], 872)],  # side by side, twenty-fifth session
    # seeds 0-1: sixth and ninth rounds; 2-4: twelfth and thirteenth (their results files were not kept)
    "banking77/8": [(0, [0.788, 0.806, 0.792, 0.764, 0.789], [0.781, 0.796, 0.767, 0.760, 0.788], 1000)],
}
"""Every printed seed. The tenth to twelfth rounds' results files (bench-out/s11, s12) were not kept either."""


def printed_runs() -> dict[str, dict[str, dict[int, float]]]:
    """setting -> engine -> seed -> accuracy from PRINTED, mapped back to the exact k / test texts."""
    out: dict[str, dict[str, dict[int, float]]] = {}
    for key, blocks in PRINTED.items():
        for first, hs, sf, n_test in blocks:
            for engine, values in (("headstart", hs), ("setfit", sf)):
                out.setdefault(key, {}).setdefault(engine, {}).update({first + i: round(a * n_test) / n_test for i, a in enumerate(values)})
    return out


def merged_runs(paths: list[str]) -> dict[str, dict[str, dict[int, float]]]:
    """setting -> engine -> seed -> accuracy over every results file given (a later file's run of a seed wins)."""
    merged: dict[str, dict[str, dict[int, float]]] = {}
    for path in paths:
        for key, entry in json.loads(Path(path).read_text())["settings"].items():
            for engine, runs in entry.get("runs", {}).items():
                merged.setdefault(key, {}).setdefault(engine, {}).update({r["seed"]: r["accuracy"] for r in runs})
    return merged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--engine", default="headstart", help="the headstart engine paired with setfit (e.g. headstart-default; the printed seeds are the 'headstart' engine's)")
    args = parser.parse_args()
    newer = merged_runs(args.files)
    printed = printed_runs()
    for key in list(PRINTED) + [k for k in newer if k not in PRINTED]:
        by_engine = {engine: {**printed.get(key, {}).get(engine, {}), **newer.get(key, {}).get(engine, {})} for engine in (args.engine, "setfit")}
        runs = {engine: [{"seed": seed, "accuracy": a} for seed, a in sorted(seeds.items())] for engine, seeds in by_engine.items()}
        if not all(runs.values()):
            continue
        pair = fewshot.paired(runs, args.engine)
        means = {e: statistics.mean(r["accuracy"] for r in rs) for e, rs in runs.items()}
        stds = {e: statistics.stdev(r["accuracy"] for r in rs) if len(rs) > 1 else 0.0 for e, rs in runs.items()}
        interval = "[{:+.2f}, {:+.2f}]".format(*(x * 100 for x in pair["diff_ci95"])) if pair["diff_ci95"] else "[no interval from one seed]"
        behind = pair["seeds"] - pair["headstart_ahead"] - pair["tied"]
        print(f"{key:<12} {pair['seeds']} seeds  {args.engine} {means[args.engine]:.4f} ± {stds[args.engine]:.4f}  setfit {means['setfit']:.4f} ± {stds['setfit']:.4f}  "
              f"paired {pair['diff_mean'] * 100:+.2f} pt {interval}  ahead/tied/behind {pair['headstart_ahead']}/{pair['tied']}/{behind}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
