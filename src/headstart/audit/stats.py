"""Bootstrap confidence intervals for audit statistics (percentile method, fixed seed)."""

from __future__ import annotations

import numpy as np

N_BOOT = 1000


def mean_ci(values: np.ndarray | list[float], seed: int = 0, n_boot: int = N_BOOT, level: float = 0.95) -> dict[str, float]:
    """Mean of ``values`` with a percentile bootstrap ``level`` interval (resampling values)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan"), "n": 0}
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    tail = (1.0 - level) / 2.0
    return {
        "mean": round(float(values.mean()), 4),
        "low": round(float(np.quantile(means, tail)), 4),
        "high": round(float(np.quantile(means, 1.0 - tail)), 4),
        "n": int(len(values)),
    }


def paired_gap_ci(matrix: np.ndarray, seed: int = 0, n_boot: int = N_BOOT, level: float = 0.95) -> dict[str, float]:
    """Largest minus smallest column mean of ``matrix`` (items x groups), resampling items (rows)."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.size == 0:
        return {"gap": float("nan"), "low": float("nan"), "high": float("nan")}
    rng = np.random.default_rng(seed)
    samples = matrix[rng.integers(0, len(matrix), size=(n_boot, len(matrix)))].mean(axis=1)
    gaps = samples.max(axis=1) - samples.min(axis=1)
    means = matrix.mean(axis=0)
    tail = (1.0 - level) / 2.0
    return {
        "gap": round(float(means.max() - means.min()), 4),
        "low": round(float(np.quantile(gaps, tail)), 4),
        "high": round(float(np.quantile(gaps, 1.0 - tail)), 4),
    }


def format_ci(stat: dict[str, float]) -> str:
    return f"{stat['mean']:.3f} [{stat['low']:.3f}, {stat['high']:.3f}]"
