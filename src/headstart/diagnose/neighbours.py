"""Nearest-neighbour label agreement of frozen, mean-pooled embeddings.

If texts with the same label already sit close together in the base model's
embedding space, a classifier on top has an easy job; if a text's nearest
neighbour carries its label no more often than chance, the model's
representation does not (yet) reflect the distinction the user cares about.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch
from torch import nn

from headstart.models.pooling import masked_mean
from headstart.training.batching import Collator, Encoded, sorted_batches


@torch.inference_mode()
def mean_pooled_embeddings(encoder: nn.Module, tokenizer, texts: list[str], max_length: int = 128, batch_size: int = 64, pad_token_id: int = 0) -> np.ndarray:
    """One L2-normalised vector per text: the mean of the encoder's last hidden states over real tokens."""
    encoder.eval()
    ids = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    encoded = Encoded(ids)
    collate = Collator(encoded, pad_token_id)
    out = np.zeros((len(texts), encoder.config.hidden_size), dtype=np.float32)
    for indices in sorted_batches(encoded.lengths(), batch_size):
        batch = collate(indices)
        hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        pooled = masked_mean(hidden.float(), batch["attention_mask"])
        out[indices] = nn.functional.normalize(pooled, dim=-1).numpy()
    return out


def neighbour_agreement(embeddings: np.ndarray, labels: list[str], k: int = 1) -> dict[str, float]:
    """Leave-one-out k-nearest-neighbour (cosine) label accuracy, and the majority-label rate it should beat."""
    similarity = embeddings @ embeddings.T
    np.fill_diagonal(similarity, -np.inf)
    k = max(1, min(k, len(labels) - 1))
    neighbours = np.argsort(-similarity, axis=1)[:, :k]
    hits = 0
    for i, row in enumerate(neighbours):
        votes = Counter(labels[j] for j in row)
        hits += int(votes.most_common(1)[0][0] == labels[i])
    majority = Counter(labels).most_common(1)[0][1] / len(labels)
    return {"knn_agreement": hits / len(labels), "majority_rate": majority, "k": k}
