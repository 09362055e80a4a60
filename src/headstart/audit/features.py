"""Cheap text features for audits: frozen-encoder mean-pooled embeddings, or TF-IDF."""

from __future__ import annotations

import numpy as np
import torch

from headstart.catalog.resolve import ResolvedBase
from headstart.errors import ModelNotFoundError
from headstart.models.loading import hub_kwargs, load_tokenizer, quiet_transformers
from headstart.models.pooling import masked_mean
from headstart.tasks.classification import pad_id
from headstart.tasks.inference import encode_texts
from headstart.training.batching import Collator, sorted_batches


@torch.inference_mode()
def embed_texts(base: ResolvedBase, texts: list[str], max_length: int = 128, batch_size: int = 64) -> np.ndarray:
    """L2-normalised mean of the last hidden states of a frozen encoder, one row per text."""
    from transformers import AutoModel

    quiet_transformers()
    tokenizer = load_tokenizer(base)
    try:
        model = AutoModel.from_pretrained(base.location, **hub_kwargs(base))
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"could not load an encoder from {base.location} ({err}). Use --model tfidf to audit without it.") from None
    model.eval()
    encoded, _ = encode_texts(tokenizer, texts, max_length)
    collate = Collator(encoded, pad_id(tokenizer))
    hidden = int(model.config.hidden_size)
    out = np.zeros((len(texts), hidden), dtype=np.float32)
    for indices in sorted_batches(encoded.lengths(), batch_size):
        batch = collate(indices)
        states = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        pooled = masked_mean(states, batch["attention_mask"])
        out[indices] = pooled.float().numpy()
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def tfidf_features(texts: list[str]):
    """Sparse word 1-2-gram plus character 2-5-gram TF-IDF features (fitted on ``texts`` without labels)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1).fit_transform(texts)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2 if len(texts) > 50 else 1).fit_transform(texts)
    return hstack([words, chars]).tocsr()
