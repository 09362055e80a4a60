"""Learning curves on the shared data: transfer with few labels against TF-IDF and from-scratch baselines.

    python benchmarks/curve.py sst2      # headstart curve on SST-2 (train_full.tsv pool, dev.tsv evaluation)
    python benchmarks/curve.py ag_news   # AG News (alps_dev.tsv pool, 2,000 of alps_test.tsv)

Extra arguments are passed to ``headstart curve`` and win over the presets
(e.g. ``--method-sizes`` to scale the run to the machine). AG News ships without a
header line, so a headered copy of it is written under bench-out/data first (the
data is never copied into the repository). The curve directory is
bench-out/curve-DATASET; rerunning with --resume reuses its finished points.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench-out"

PRESETS = {
    "sst2": [
        "--test", str(DATA / "sst2_glue" / "dev.tsv"),
        "--methods", "full,tfidf,scratch",
        "--sizes", "100x3",
        "--method-sizes", "scratch=100x1,300x1,1000x1,3000x1;tfidf=100x3,300x3,1000x3,3000x2,10000x1,30000x1",
        "--max-length", "64", "--scratch-epochs", "4", "--scratch-learning-rate", "5e-4",
    ],
    "ag_news": [
        "--test-size", "2000",
        "--methods", "full,tfidf,scratch",
        "--sizes", "100x3",
        "--method-sizes", "scratch=100x1,300x1,1000x1;tfidf=100x3,300x3,1000x3,3000x2,8000x1",
        "--max-length", "128", "--scratch-epochs", "4", "--scratch-learning-rate", "5e-4",
    ],
}


def headered_ag_news() -> tuple[Path, Path]:
    """AG News as text<TAB>label files with a header (the shared copies have none)."""
    folder = OUT / "data" / "ag_news"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("alps_dev.tsv", "alps_test.tsv"):
        target = folder / name
        if not target.exists():
            rows = (DATA / "ag_news" / name).read_text(encoding="utf-8").splitlines()
            lines = ["text\tlabel"]
            for row in rows:
                text, _, label = row.rpartition("\t")
                lines.append(f"{text.replace(chr(9), ' ')}\t{label}")
            target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(target)
    return paths[0], paths[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted(PRESETS))
    args, extra = parser.parse_known_args(argv)
    if args.dataset == "sst2":
        command = [str(DATA / "sst2_glue" / "train_full.tsv"), *PRESETS["sst2"]]
    else:
        train, test = headered_ag_news()
        command = [str(train), "--test", str(test), *PRESETS["ag_news"]]
    from headstart.cli.main import main as headstart

    return headstart(["curve", *command, "--output", str(OUT / f"curve-{args.dataset}"), *extra])


if __name__ == "__main__":
    sys.exit(main())
