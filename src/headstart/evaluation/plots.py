"""Plots written into run directories (PNG, no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_confusion_matrix(matrix: list[list[int]], label_names: list[str], path: Path, title: str) -> None:
    """Row-normalised confusion matrix with counts; readable up to ~80 classes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = np.asarray(matrix, dtype=float)
    rows = counts.sum(axis=1, keepdims=True)
    normalised = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    n = len(label_names)
    side = min(4 + 0.35 * n, 30)
    fig, ax = plt.subplots(figsize=(side, side * 0.85))
    image = ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), labels=label_names, rotation=90 if n > 6 else 45, ha="right" if n <= 6 else "center", fontsize=8 if n > 20 else 10)
    ax.set_yticks(range(n), labels=label_names, fontsize=8 if n > 20 else 10)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if n <= 20:
        for i in range(n):
            for j in range(n):
                if counts[i, j]:
                    ax.text(j, i, int(counts[i, j]), ha="center", va="center", color="white" if normalised[i, j] > 0.5 else "black", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of true class")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
