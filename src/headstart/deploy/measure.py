"""Size, latency, throughput and accuracy of a predictor: the table ``compress`` prints."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from headstart.deploy.backends import Predictor

MODEL_FILE_PATTERNS = ("model*.safetensors", "*.onnx", "*.onnx.data")

SAMPLE_TEXTS = (
    "the delivery was late and nobody answered my emails",
    "great service, I would recommend it to anyone",
    "how do I change the address on my account?",
    "it works",
    "I have been waiting for three weeks for a refund and the support team keeps sending me the same automatic answer without reading my message",
    "not bad at all",
    "the app crashes every time I open the settings page",
    "thank you for the quick help yesterday",
)
"""Texts to time on when no evaluation file is given: short and long, like real traffic."""


@dataclass
class Measurement:
    """One row of the comparison table."""

    name: str
    format: str
    size_mb: float
    latency_ms: float
    """Median time to predict one text."""
    throughput: float
    """Texts per second when predicting the whole set in batches."""
    accuracy: float | None = None
    agreement: float | None = None
    """Share of texts labeled the same as the original model."""

    def to_dict(self) -> dict:
        return asdict(self)


def model_size_mb(folder: Path) -> float:
    """Megabytes of weight files (tokenizer and reports not counted)."""
    files = {p for pattern in MODEL_FILE_PATTERNS for p in Path(folder).glob(pattern)}
    return sum(p.stat().st_size for p in files) / 1e6


def timing_texts(n: int = 256) -> list[str]:
    """``n`` texts cycled from :data:`SAMPLE_TEXTS`, for timing without an evaluation file."""
    return [SAMPLE_TEXTS[i % len(SAMPLE_TEXTS)] for i in range(n)]


def measure(
    name: str,
    predictor: Predictor,
    texts: list[str],
    labels: list[int] | None = None,
    reference: np.ndarray | None = None,
    batch_size: int = 32,
    latency_repeats: int = 20,
) -> tuple[Measurement, np.ndarray]:
    """Time ``predictor`` on ``texts``; returns the row and its predicted label indices.

    ``reference`` (label indices of the original model on the same texts) gives the
    agreement column; ``labels`` the accuracy column.
    """
    predictor.predict_logits(texts[:batch_size], batch_size)  # warm-up: first calls allocate
    singles = []
    for i in range(latency_repeats):
        started = time.perf_counter()
        predictor.predict_logits([texts[i % len(texts)]], 1)
        singles.append(time.perf_counter() - started)
    started = time.perf_counter()
    predicted = np.asarray(predictor.predict_logits(texts, batch_size)).argmax(-1)
    seconds = time.perf_counter() - started
    row = Measurement(
        name=name,
        format=predictor.format,
        size_mb=round(model_size_mb(predictor.path), 2),
        latency_ms=round(statistics.median(singles) * 1000, 2),
        throughput=round(len(texts) / seconds, 1),
        accuracy=round(float(np.mean(predicted == np.asarray(labels))), 4) if labels is not None else None,
        agreement=round(float(np.mean(predicted == reference)), 4) if reference is not None else None,
    )
    return row, predicted


def render_table(rows: list[Measurement]) -> str:
    """A Markdown table; the first row is the reference the others are compared with."""
    lines = [
        "| model | format | size (MB) | latency, 1 text (ms) | throughput (texts/s) | accuracy | agreement with original |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        accuracy = "-" if row.accuracy is None else f"{row.accuracy:.4f}"
        agreement = "-" if row.agreement is None else f"{row.agreement:.4f}"
        lines.append(f"| {row.name} | {row.format} | {row.size_mb:.2f} | {row.latency_ms:.2f} | {row.throughput:.1f} | {accuracy} | {agreement} |")
    return "\n".join(lines)
