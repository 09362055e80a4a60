"""How well the *pre-trained* sentence embedding already separates a labeled sample's classes, per dataset.

A candidate signal for ``--method auto``: where the frozen embedding already groups the classes (intents, news
topics), contrastive pair training has little left to add and cross-entropy fine-tuning may do better; where it
does not (sentiment, question types), pairs reshape the embedding. The score is the leave-one-out nearest-centroid
accuracy (cosine, mean-pooled all-MiniLM-L6-v2, each text left out of its own class mean), chance-corrected:
(accuracy - 1/K) / (1 - 1/K) for K classes.

    python benchmarks/auto_choice_data.py        # the TREC, BANKING77-subset and CLINC150 CSVs
    python benchmarks/auto_signal.py --sizes 8 16 32 64 --seeds 3 --out bench-out/auto-signal.json

Samples: k examples per class drawn with each seed from the same training files as BENCHMARKS.md's
"`--method auto`" section (classes with fewer than k keep all theirs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fewshot import sample_per_class  # noqa: E402  (the benchmark's own per-class sampler)


ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BENCH = ROOT / "bench-out" / "data"

DATASETS = {
    "sst2": DATA / "sst2_glue" / "train_full.tsv",
    "ag_news": BENCH / "ag_news" / "alps_dev.tsv",
    "trec": BENCH / "trec" / "trec_train.csv",
    "trec_fine": BENCH / "trec" / "fine_train.csv",
    "banking10": BENCH / "banking77" / "b10_train.csv",
    "banking20": BENCH / "banking77" / "b20_train.csv",
    "banking77": DATA / "banking77" / "train.csv",
    "clinc150": BENCH / "clinc150" / "train.csv",
    # not used to fit the line
    "clinc_domains": BENCH / "clinc150" / "domains_train.csv",
    "sms_spam": BENCH / "sms_spam" / "train.csv",
}


def labeled_rows(path: Path) -> list[tuple[str, str]]:
    """(text, label) rows through headstart's own reader and column detection."""
    from headstart.data.classification import DataSpec, _extract
    from headstart.data.issues import IssueLog
    from headstart.data.readers import read_table

    split = _extract(read_table(str(path), "utf-8"), DataSpec(train=str(path)), IssueLog(), "train")
    return list(zip(split.texts, split.labels))


def nearest_neighbour_separability(vectors: np.ndarray, labels: np.ndarray) -> float:
    """Chance-corrected leave-one-out 1-nearest-neighbour accuracy (cosine): an alternative that sees classes made of
    several clusters, which class means do not (``--nearest-neighbour``; not what --method auto uses)."""
    names, y = np.unique(labels, return_inverse=True)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    chance = 1.0 / len(names)
    return (float((y[similarity.argmax(1)] == y).mean()) - chance) / (1.0 - chance)


def linear_probe_separability(vectors: np.ndarray, labels: np.ndarray, folds: int = 4) -> float:
    """Chance-corrected cross-validated accuracy of headstart's logistic-regression head (tasks.linear_probe.fit_head)
    on the embeddings: another alternative that can carve a class made of several clusters (``--linear-probe``)."""
    from sklearn.model_selection import StratifiedKFold

    from headstart.tasks.linear_probe import fit_head

    names, y = np.unique(labels, return_inverse=True)
    splits = min(folds, int(np.bincount(y).min()))
    correct = 0
    for train, held in StratifiedKFold(splits, shuffle=True, random_state=0).split(vectors, y):
        weight, bias, scale = fit_head(vectors[train], y[train], len(names), 0)
        correct += int(((vectors[held] * scale @ weight.T + bias).argmax(1) == y[held]).sum())
    chance = 1.0 / len(names)
    return (correct / len(y) - chance) / (1.0 - chance)


def separability(texts: list[str], labels: list[str], signal: str = "centroid") -> float:
    """headstart's own score (tasks/separability.py), as ``--method auto`` computes it, with the default encoder; or
    the 1-nearest-neighbour or linear-probe alternative on the same embeddings."""
    from headstart.catalog.resolve import resolve_base
    from headstart.tasks.inference import embed_texts
    from headstart.tasks.separability import pretrained_separability

    base = resolve_base("minilm-l6")
    if signal == "nearest-neighbour":
        return nearest_neighbour_separability(embed_texts(base, texts, 64), np.array(labels))
    if signal == "linear-probe":
        return linear_probe_separability(embed_texts(base, texts, 64), np.array(labels))
    return pretrained_separability(base, texts, labels, 64)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[8, 16, 32, 64])
    parser.add_argument("--seeds", type=int, default=3)
    signals = parser.add_mutually_exclusive_group()
    signals.add_argument("--nearest-neighbour", action="store_const", const="nearest-neighbour", dest="signal", help="score leave-one-out 1-NN accuracy instead of nearest class mean")
    signals.add_argument("--linear-probe", action="store_const", const="linear-probe", dest="signal", help="score 4-fold cross-validated logistic-regression accuracy instead of nearest class mean")
    parser.add_argument("--out", default="bench-out/auto-signal.json")
    args = parser.parse_args(argv)
    results = {}
    for name in args.datasets:
        rows = labeled_rows(DATASETS[name])
        for k in args.sizes:
            values = []
            for seed in range(args.seeds):
                sample = sample_per_class(rows, k, seed)
                values.append(separability([t for t, _ in sample], [l for _, l in sample], args.signal or "centroid"))
            results[f"{name}/{k}"] = {"separability": values, "mean": statistics.mean(values)}
            print(f"{name:<10} {k:>3} per class: {statistics.mean(values):.3f}  ({', '.join(f'{v:.3f}' for v in values)})", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
