"""Spread over seeds: few-shot scores are never reported without it."""

from __future__ import annotations

import statistics


def mean_std(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0, "min": min(values), "max": max(values)}


def seed_spread(per_seed: list[dict], kept_seed: int) -> dict:
    """Mean, sample standard deviation, min and max of each split's accuracy and macro-F1 over seeds."""
    splits = [k for k in per_seed[0] if k != "seed"]
    summary = {
        split: {metric: mean_std([run[split][metric] for run in per_seed]) for metric in ("accuracy", "macro_f1")}
        for split in splits
    }
    return {"runs": per_seed, "summary": summary, "kept_seed": kept_seed}
