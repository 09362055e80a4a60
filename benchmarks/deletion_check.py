"""Which of the few-shot benchmark's samples get word-piece deletion (training/augment.py) under headstart's defaults.

The benchmark's ``headstart`` engine trains on the whole per-class sample (benchmarks/fewshot.py), so this calls the
stage's own rule, ``augment.deletion_for``, on each sample's encoded texts and labels; no training. Settings where it
is off for every seed train exactly as before the rule existed.

    python benchmarks/deletion_check.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402

SETTINGS = [("sst2", 8, list(range(10)) + list(range(20, 30))), ("sst2", 64, list(range(10)) + list(range(20, 30))), ("trec", 8, range(10)), ("trec", 64, range(10)), ("ag_news", 8, range(10)), ("ag_news", 64, range(10)), ("banking77", 8, range(5)), ("banking77", 64, range(1))]


def main() -> int:
    from headstart.catalog.resolve import resolve_base
    from headstart.models.loading import load_tokenizer
    from headstart.tasks.inference import encode_texts
    from headstart.training.augment import deletion_for
    from headstart.training.config import TrainConfig

    config = TrainConfig(method="contrastive")
    tokenizer = load_tokenizer(resolve_base("minilm-l6"))
    for dataset, size, seeds in SETTINGS:
        pool, _ = fewshot.load_dataset(dataset)
        index = {label: i for i, label in enumerate(sorted({label for _, label in pool}))}
        on = []
        for seed in seeds:
            rows = fewshot.sample_per_class(pool, size, seed)
            encoded, _ = encode_texts(tokenizer, [t for t, _ in rows], config.max_length)
            deletion, _ = deletion_for(encoded.input_ids, [index[l] for _, l in rows], config.contrastive_token_deletion, tokenizer.all_special_ids, seed)
            on += [seed] if deletion is not None else []
        print(f"{dataset}/{size}: deletion on for seeds {on or 'none'} of {list(seeds)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
