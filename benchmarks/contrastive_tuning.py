"""Tuning runs for ``--method contrastive`` on seeds apart from the benchmark's: passes x head settings.

For each seed, trains headstart's contrastive stage once (``--passes`` passes, same sampler and test
sample as benchmarks/fewshot.py), embeds the training sample and the test sample with the tuned
encoder, and refits the logistic-regression head with several inverse regularisations C and two
feature scalings (the default's median-norm scaling, and unit length). One JSON line per run.
Used to choose the defaults in tasks/contrastive.py (BENCHMARKS.md, "Few labels"); never run it on
seeds 0-2, which the benchmark reports.

    python benchmarks/contrastive_tuning.py --dataset trec --size 64 --passes 16 32 --seeds 10 11 --out bench-out/tuning.jsonl
    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --learning-rate 4e-5 --seeds 10 11 12
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402  (same data loading and sampling as the benchmark)


def head_accuracies(train_x, train_y, test_x, test_y, n_classes: int, seed: int) -> dict[str, float]:
    """Test accuracy of headstart's own head (tasks.contrastive.fit_head) per C, on the features as they are and at unit length."""
    import numpy as np

    from headstart.tasks.contrastive import fit_head

    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    out = {}
    for name, scale in (("median", lambda x: x), ("unit", unit)):  # fit_head scales to unit median norm itself
        for c in (0.1, 1.0, 10.0, 100.0):
            weight, bias, factor = fit_head(scale(train_x), train_y, n_classes, seed, c)
            predicted = (scale(test_x) * factor @ weight.T + bias).argmax(-1)
            out[f"{name}_C{c:g}"] = float((predicted == test_y).mean())
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, choices=["sst2", "trec", "ag_news", "banking77"])
    parser.add_argument("--size", type=int, required=True, help="labeled examples per class")
    parser.add_argument("--passes", type=int, nargs="+", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--learning-rate", type=float, default=None, help="encoder learning rate (default: headstart's, 2e-5)")
    parser.add_argument("--batch-size", type=int, default=None, help="texts per contrastive batch (default: headstart's, 16)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="bench-out/contrastive-tuning.jsonl")
    args = parser.parse_args()
    if set(args.seeds) & {0, 1, 2}:
        raise SystemExit("seeds 0-2 are the benchmark's; tune on others (e.g. --seeds 10 11 12)")
    import numpy as np
    import torch

    from headstart.catalog.resolve import resolve_base
    from headstart.data.classification import ClassificationData, LabeledTexts
    from headstart.tasks.classification import pad_id, train_classifier
    from headstart.tasks.contrastive import embed
    from headstart.tasks.inference import encode_texts
    from headstart.training.config import TrainConfig

    torch.set_num_threads(args.threads)
    pool, test = fewshot.load_dataset(args.dataset)
    test = fewshot.fixed_test_sample(test, 1000)
    labels = sorted({label for _, label in pool})
    index = {label: i for i, label in enumerate(labels)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for passes in args.passes:
        for seed in args.seeds:
            train = fewshot.sample_per_class(pool, args.size, seed)
            split = LabeledTexts([t for t, _ in train], [l for _, l in train], [f"sample:{i}" for i in range(len(train))])
            data = ClassificationData(split, split.subset(list(range(len(split))), "validation"), None, labels)
            overrides = {k: v for k, v in (("learning_rate", args.learning_rate), ("batch_size", args.batch_size)) if v is not None}
            config = TrainConfig(method="contrastive", seed=seed, contrastive_passes=passes, **overrides)
            start = time.perf_counter()
            trained = train_classifier(data, resolve_base("minilm-l6"), config, log=lambda message: None)
            seconds = time.perf_counter() - start
            model, pad = trained.model.eval(), pad_id(trained.tokenizer)
            features = [embed(model, encode_texts(trained.tokenizer, [t for t, _ in rows], config.max_length)[0], pad, config.eval_batch_size, trained.mixed_precision) for rows in (train, test)]
            targets = [np.array([index[l] for _, l in rows]) for rows in (train, test)]
            row = {"dataset": args.dataset, "size": args.size, "passes": passes, **overrides, "seed": seed, "train_seconds": seconds, **head_accuracies(features[0], targets[0], features[1], targets[1], len(labels), seed)}
            print(json.dumps(row), flush=True)
            with open(out, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
