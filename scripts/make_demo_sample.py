"""Rebuild the bundled BANKING77 sample (src/headstart/resources/banking77) from ../shared/data.

Usage: python scripts/make_demo_sample.py [--source ../shared/data/banking77]
BANKING77 is CC BY 4.0 (Casanueva et al. 2020); the license travels with the sample.
"""

import argparse
import csv
import random
import shutil
from collections import defaultdict
from pathlib import Path

TRAIN_PER_CLASS = 16
TEST_PER_CLASS = 8
SEED = 7


def sample(source: Path, per_class: int, seed: int) -> list[tuple[str, str]]:
    by_class = defaultdict(list)
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            by_class[row["category"]].append(row["text"])
    rng = random.Random(seed)
    rows = []
    for label in sorted(by_class):
        rows += [(text, label) for text in rng.sample(by_class[label], per_class)]
    rng.shuffle(rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", default="../shared/data/banking77")
    args = parser.parse_args()
    source = Path(args.source)
    target = Path(__file__).resolve().parents[1] / "src/headstart/resources/banking77"
    target.mkdir(parents=True, exist_ok=True)
    for name, per_class in (("train", TRAIN_PER_CLASS), ("test", TEST_PER_CLASS)):
        with (target / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label"])
            writer.writerows(sample(source / f"{name}.csv", per_class, SEED))
    shutil.copy(source / "LICENSE", target / "LICENSE")


if __name__ == "__main__":
    main()
