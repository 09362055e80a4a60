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


def confusion_cis(matrix: list[list[int]] | np.ndarray, seed: int = 0, n_boot: int = N_BOOT, level: float = 0.95) -> dict[str, dict[str, float]]:
    """Accuracy and macro-F1 with percentile bootstrap intervals, resampling the examples of a confusion matrix.

    Macro-F1 averages over the classes present in the split (rows with examples),
    as ``evaluation.metrics`` does, so the point estimate equals the reported one;
    each resample averages over the classes present in it, by the same rule.
    """
    matrix = np.asarray(matrix, dtype=np.int64)
    k = matrix.shape[0]
    n = int(matrix.sum())
    if n == 0:
        empty = {"mean": float("nan"), "low": float("nan"), "high": float("nan"), "n": 0}
        return {"accuracy": dict(empty), "macro_f1": dict(empty)}
    codes = np.repeat(np.arange(k * k), matrix.ravel())
    rng = np.random.default_rng(seed)
    samples = codes[rng.integers(0, n, size=(n_boot, n))]
    counts = np.bincount((samples + (np.arange(n_boot) * k * k)[:, None]).ravel(), minlength=n_boot * k * k).reshape(n_boot, k, k)

    def scores(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tp = np.diagonal(cm, axis1=-2, axis2=-1).astype(float)
        denominator = cm.sum(axis=-1) + cm.sum(axis=-2)
        f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
        present = cm.sum(axis=-1) > 0
        return tp.sum(axis=-1) / n, (f1 * present).sum(axis=-1) / present.sum(axis=-1)

    accuracy, macro_f1 = scores(matrix)
    boot_accuracy, boot_f1 = scores(counts)
    tail = (1.0 - level) / 2.0

    def stat(point: float, boot: np.ndarray) -> dict[str, float]:
        return {"mean": round(float(point), 4), "low": round(float(np.quantile(boot, tail)), 4), "high": round(float(np.quantile(boot, 1.0 - tail)), 4), "n": n}

    return {"accuracy": stat(accuracy, boot_accuracy), "macro_f1": stat(macro_f1, boot_f1)}
