"""Does headstart's mean-pooling layer (LayerNorm of the token mean) lose anything against sentence-transformers' own vector?

Embeds the tuning samples (8 per class, seeds 10-14) and the benchmark's fixed test sample with the *pre-trained*
all-MiniLM-L6-v2 three ways and fits headstart's logistic-regression head (tasks.linear_probe.fit_head, C = 1 and 10)
on each: ``raw`` (the token mean of the last original layer at unit length, what setfit's head reads), ``ln`` (the
vector headstart's classifier reads: the mean-pooling layer's output) and ``centered`` (the raw mean minus its mean
over dimensions). Prints the mean test accuracy over the five seeds.

    python benchmarks/pooling_check.py ag_news
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402  (same data loading and sampling as the benchmark)

SEEDS = (10, 11, 12, 13, 14)


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def main() -> int:
    from headstart.catalog.resolve import resolve_base
    from headstart.models.classifier import build_classifier
    from headstart.models.loading import load_tokenizer
    from headstart.models.pooling import masked_mean
    from headstart.tasks.classification import pad_id
    from headstart.tasks.linear_probe import fit_head
    from headstart.tasks.inference import encode_texts
    from headstart.training.batching import Collator

    torch.set_num_threads(2)
    dataset = sys.argv[1]
    pool, test = fewshot.load_dataset(dataset)
    test = fewshot.fixed_test_sample(test, 1000)
    labels = sorted({label for _, label in pool})
    index = {label: i for i, label in enumerate(labels)}
    base = resolve_base("minilm-l6")
    tokenizer = load_tokenizer(base)
    model = build_classifier(base, labels, pooling="auto").eval()

    @torch.no_grad()
    def features(rows: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """(raw token mean of the last original layer, the mean-pooling layer's output) of each row's text."""
        collate = Collator(encode_texts(tokenizer, [t for t, _ in rows], 128)[0], pad_id(tokenizer))
        raw, pooled = [], []
        for start in range(0, len(rows), 64):
            batch = {k: v for k, v in collate(list(range(start, min(start + 64, len(rows))))).items() if k != "labels"}
            out = model(**batch, output_hidden_states=True)
            raw.append(masked_mean(out.hidden_states[-2], batch["attention_mask"]))
            pooled.append(out.hidden_states[-1][:, 0])
        return torch.cat(raw).numpy(), torch.cat(pooled).numpy()

    test_raw, test_pooled = features(test)
    test_y = np.array([index[label] for _, label in test])
    scores: dict[str, list[float]] = {}
    for seed in SEEDS:
        train = fewshot.sample_per_class(pool, 8, seed)
        train_y = np.array([index[label] for _, label in train])
        raw, pooled = features(train)
        variants = {
            "raw": (unit(raw), unit(test_raw)),
            "ln": (pooled, test_pooled),
            "centered": (raw - raw.mean(1, keepdims=True), test_raw - test_raw.mean(1, keepdims=True)),
        }
        for name, (x, test_x) in variants.items():
            for c in (1.0, 10.0):
                weight, bias, scale = fit_head(x, train_y, len(labels), 0, c)
                scores.setdefault(f"{name}_C{c:g}", []).append(float(((test_x * scale @ weight.T + bias).argmax(-1) == test_y).mean()))
    print(dataset, {k: round(float(np.mean(v)), 4) for k, v in scores.items()})
    share = np.abs(test_raw.mean(1)) * np.sqrt(test_raw.shape[1]) / np.linalg.norm(test_raw, axis=1)
    print("mean share of the raw test vectors along the all-ones direction:", float(share.mean()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
