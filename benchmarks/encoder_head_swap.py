"""Where a few-shot gap to setfit comes from: the tuned encoder or the head (tuning seeds only).

For each seed, trains headstart ``--method contrastive`` and setfit on the same sample (as
benchmarks/fewshot.py does), embeds the training and test samples with each engine's tuned
encoder, and fits each engine's head on each encoder's embeddings: headstart's
``fit_head`` (C=10 on median-scaled features) and setfit's default head (scikit-learn's
``LogisticRegression()``, C=1, on the features as they are). The 2 x 2 test accuracies say
whether swapping the head or the encoder closes a gap. One JSON line per seed. Refuses the
benchmark's seeds 0-2.

    python benchmarks/encoder_head_swap.py --dataset ag_news --size 8 --seeds 10 11 12
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402  (same data loading and sampling as the benchmark)
import tuning  # noqa: E402  (what the tuning scripts share)


def main() -> int:
    parser = tuning.tuning_parser(__doc__)
    parser.add_argument("--out", default="bench-out/encoder-head-swap.jsonl")
    args = parser.parse_args()
    pool, test, labels = tuning.tuning_data(args)
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from headstart.tasks.linear_probe import fit_head
    from headstart.training.config import TrainConfig

    index = {label: i for i, label in enumerate(labels)}

    def headstart_head(train_x, train_y, test_x, test_y, seed):
        weight, bias, scale = fit_head(train_x, train_y, len(labels), seed)
        return float(((test_x * scale @ weight.T + bias).argmax(-1) == test_y).mean())

    def setfit_head(train_x, train_y, test_x, test_y, seed):
        return float((LogisticRegression().fit(train_x, train_y).predict(test_x) == test_y).mean())

    for seed in args.seeds:
        train = fewshot.sample_per_class(pool, args.size, seed)
        targets = [np.array([index[l] for _, l in rows]) for rows in (train, test)]
        texts = [[t for t, _ in rows] for rows in (train, test)]
        headstart_seconds, headstart_features = tuning.train_and_embed(train, test, labels, TrainConfig(method="contrastive", seed=seed))
        features = {"headstart": headstart_features}

        setfit_model, setfit_seconds = fewshot.train_setfit(texts[0], targets[0].tolist(), seed)
        features["setfit"] = [np.asarray(setfit_model.model_body.encode(rows, batch_size=128, show_progress_bar=False)) for rows in texts]
        own = float((np.asarray(setfit_model.predict(texts[1], batch_size=128, show_progress_bar=False)) == targets[1]).mean())

        row = {"dataset": args.dataset, "size": args.size, "seed": seed, "headstart_seconds": headstart_seconds, "setfit_seconds": setfit_seconds, "setfit_own_pipeline": own}
        for encoder, (train_x, test_x) in features.items():
            for head_name, head in (("headstart_head", headstart_head), ("setfit_head", setfit_head)):
                row[f"{encoder}_encoder+{head_name}"] = head(train_x, targets[0], test_x, targets[1], seed)
        tuning.append_row(row, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
