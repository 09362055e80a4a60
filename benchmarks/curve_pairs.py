"""Two `headstart curve` runs on the same samples, point by point.

    python benchmarks/curve_pairs.py OLD/curve.json NEW/curve.json [--method full] [--against contrastive]

For each (size, repeat) of ``--method`` in both runs: test accuracy, epochs run and best epoch, and whether the two
points trained on the same sample (the curve's fingerprint). Then per size: the mean of each run, their difference,
and with ``--against M``: M's mean in the OLD run minus ``--method``'s mean in the NEW run (e.g. contrastive measured
before a change to full fine-tuning, against full after it; valid where the change does not touch M).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys


def points(path: str) -> dict[tuple[str, int, int], dict]:
    return {(p["method"], p["size"], p["repeat"]): p for p in json.load(open(path, encoding="utf-8"))["points"]}


def accuracy(point: dict) -> float:
    return point["scores"]["accuracy"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--method", default="full")
    parser.add_argument("--against", default=None, help="a method of the OLD run to compare the NEW run's --method with")
    args = parser.parse_args(argv)
    old, new = points(args.old), points(args.new)
    sizes: dict[int, list[tuple[float, float]]] = {}
    for key in sorted(k for k in new if k in old and k[0] == args.method):
        before, after = old[key], new[key]
        same = before.get("fingerprint") == after.get("fingerprint")
        print(f"{key[1]:>5} repeat {key[2]}: old {accuracy(before):.4f} (epochs {before['epochs_run']}, best {before['details'].get('best_epoch')})"
              f"  new {accuracy(after):.4f} (epochs {after['epochs_run']}, best {after['details'].get('best_epoch')})  same sample: {same}")
        sizes.setdefault(key[1], []).append((accuracy(before), accuracy(after)))
    for size, pairs in sizes.items():
        line = f"size {size}: old {statistics.mean(p[0] for p in pairs):.4f}, new {statistics.mean(p[1] for p in pairs):.4f}, new - old {100 * statistics.mean(p[1] - p[0] for p in pairs):+.2f} points"
        if args.against:
            other = [accuracy(p) for k, p in old.items() if k[0] == args.against and k[1] == size]
            if other:
                line += f"; {args.against} (old) {statistics.mean(other):.4f}, {args.against} - {args.method} (new) {100 * (statistics.mean(other) - statistics.mean(p[1] for p in pairs)):+.2f} points"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
