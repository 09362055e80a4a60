"""Calibration of predicted confidences: reliability bins and expected calibration error (ECE)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np


@dataclass
class Reliability:
    """Equal-width confidence bins of the top-class probability."""

    edges: np.ndarray
    confidence: np.ndarray
    """Mean confidence per bin (nan where empty)."""
    accuracy: np.ndarray
    """Accuracy per bin (nan where empty)."""
    counts: np.ndarray
    ece: float
    """Sum over bins of (bin share) x |accuracy - confidence| (Guo et al. 2017)."""


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> Reliability:
    """Reliability bins and ECE of class probabilities ``probs`` (n, k) against true ``labels`` (n,)."""
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    conf_sum = np.bincount(which, weights=confidence, minlength=bins)
    acc_sum = np.bincount(which, weights=correct, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.where(counts > 0, conf_sum / counts, np.nan)
        mean_acc = np.where(counts > 0, acc_sum / counts, np.nan)
    gaps = np.where(counts > 0, np.abs(mean_acc - mean_conf), 0.0)
    ece = float((counts / max(len(labels), 1) * gaps).sum())
    return Reliability(edges, mean_conf, mean_acc, counts, ece)


def reliability_png(rel: Reliability, title: str) -> bytes:
    """Reliability diagram (accuracy vs confidence per bin, with the diagonal) as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    centers = (rel.edges[:-1] + rel.edges[1:]) / 2
    width = rel.edges[1] - rel.edges[0]
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    filled = rel.counts > 0
    ax.bar(centers[filled], rel.accuracy[filled], width=width * 0.9, color="#4878a8", edgecolor="black", label="accuracy")
    ax.plot([0, 1], [0, 1], "--", color="gray", label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top-class probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{title} (ECE {rel.ece:.3f})")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def learning_curve_png(history: list[dict]) -> bytes | None:
    """Training and validation loss and validation metrics per epoch, or None with fewer than 2 epochs."""
    if len(history) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for key, style in (("train_loss", "o-"), ("val_loss", "o--")):
        if all(key in h for h in history):
            ax.plot(epochs, [h[key] for h in history], style, label=key.replace("val_", "validation ").replace("_", " "))
    for key in ("val_accuracy", "val_macro_f1"):
        if all(key in h for h in history):
            ax.plot(epochs, [h[key] for h in history], "s-", label=key.replace("val_", "validation ").replace("_", " "))
    ax.set_xlabel("epoch")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def reliability_to_dict(rel: Reliability) -> dict:
    """JSON form (empty bins as null), stored in metrics.json so the report and card need no recomputation."""

    def clean(values: np.ndarray) -> list:
        return [None if np.isnan(v) else round(float(v), 6) for v in values]

    return {"n": int(rel.counts.sum()), "ece": round(rel.ece, 6), "edges": [round(float(e), 6) for e in rel.edges], "confidence": clean(rel.confidence), "accuracy": clean(rel.accuracy), "counts": rel.counts.astype(int).tolist()}


def reliability_from_dict(data: dict) -> Reliability:
    def array(values: list) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    return Reliability(np.array(data["edges"], dtype=float), array(data["confidence"]), array(data["accuracy"]), np.array(data["counts"], dtype=int), float(data["ece"]))
