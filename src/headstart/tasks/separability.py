"""How well the pre-trained sentence embedding already separates the labeled classes: the signal behind ``--method auto``.

Contrastive training reshapes the embedding so that same-label texts sit together. Where the pre-trained embedding
already groups the classes (banking intents, news topics), there is little left for pairs to do and cross-entropy
fine-tuning of every weight did better; where it does not (sentiment, question types), pairs gained most
(BENCHMARKS.md, "`--method auto`"). The score is the leave-one-out nearest-centroid accuracy of the training texts'
mean-pooled, unit-length embeddings (each text left out of its own class mean), chance-corrected:
(accuracy - 1/K) / (1 - 1/K) for K classes, so 0 is chance and 1 is perfect.
"""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import torch

from headstart.catalog.resolve import ResolvedBase
from headstart.errors import ModelNotFoundError
from headstart.models.loading import hub_kwargs, load_tokenizer, quiet_transformers
from headstart.models.pooling import masked_mean

PER_CLASS_CAP = 64
"""Classes with more training texts than this are scored on a fixed random sample of this many (the cost stays one
encoder pass over at most 64 texts per class)."""


def loo_centroid_separability(vectors: np.ndarray, labels: np.ndarray) -> float:
    """Chance-corrected leave-one-out nearest-centroid accuracy (cosine) of unit-length ``vectors``; nan below 2 classes."""
    classes, y = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        return float("nan")
    x = np.asarray(vectors, dtype=np.float64)
    counts = np.bincount(y, minlength=len(classes)).astype(np.float64)
    sums = np.zeros((len(classes), x.shape[1]))
    np.add.at(sums, y, x)
    means = sums / counts[:, None]
    scores = x @ (means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)).T
    # Each text's own class mean without it; a class of one then has no mean to compare with.
    own = sums[y] - x
    own_norm = np.linalg.norm(own, axis=1)
    rows = np.arange(len(y))
    scores[rows, y] = np.where(own_norm > 1e-12, (own * x).sum(1) / np.maximum(own_norm, 1e-12), -np.inf)
    accuracy = float((scores.argmax(1) == y).mean())
    chance = 1.0 / len(classes)
    return (accuracy - chance) / (1.0 - chance)


def capped_sample(labels: list[str], cap: int = PER_CLASS_CAP, seed: int = 0) -> list[int]:
    """Indices of at most ``cap`` examples per class (a fixed random choice where a class has more), in input order."""
    by_class: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_class[label].append(index)
    rng = random.Random(seed)
    keep = [i for members in by_class.values() for i in (members if len(members) <= cap else rng.sample(members, cap))]
    return sorted(keep)


@torch.inference_mode()
def mean_embeddings(base: ResolvedBase, texts: list[str], max_length: int, batch_size: int = 64) -> np.ndarray:
    """Unit-length token-mean embeddings of ``texts`` from the pre-trained encoder of ``base`` (no head, no training)."""
    from transformers import AutoModel

    quiet_transformers()
    tokenizer = load_tokenizer(base)
    try:
        model = AutoModel.from_pretrained(base.location, **hub_kwargs(base)).eval()
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"could not load the encoder from {base.location} ({err}). Is it a complete Hugging Face model folder?") from None
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths together: less padding
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        out[rows] = torch.nn.functional.normalize(masked_mean(hidden.float(), batch["attention_mask"]), dim=-1).numpy()
    return out


def pretrained_separability(base: ResolvedBase, texts: list[str], labels: list[str], max_length: int) -> float:
    """The separability score of the labeled texts under ``base``'s pre-trained embedding (module docstring)."""
    keep = capped_sample(labels)
    vectors = mean_embeddings(base, [texts[i] for i in keep], max_length)
    return loo_centroid_separability(vectors, np.array([labels[i] for i in keep]))
