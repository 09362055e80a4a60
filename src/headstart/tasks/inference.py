"""Batched, length-sorted inference shared by evaluation, predict and serve."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from headstart.training.batching import Collator, Encoded, sorted_batches


def encode_texts(tokenizer, texts: list[str], max_length: int, pairs: list[str] | None = None) -> tuple[Encoded, int]:
    """Tokenize once; returns the encodings and how many texts were truncated.

    With ``pairs`` each example is the tokenizer's pair input (``[CLS] a [SEP] b [SEP]``),
    with segment ids where the model takes them (BERT-style ``token_type_ids``).
    """
    args = (texts, pairs) if pairs is not None else (texts,)
    types = pairs is not None and "token_type_ids" in getattr(tokenizer, "model_input_names", ())
    full = tokenizer(*args, truncation=False, add_special_tokens=True, return_token_type_ids=types)
    ids = full["input_ids"]
    truncated = sum(1 for row in ids if len(row) > max_length)
    if truncated:
        full = tokenizer(*args, truncation=True, max_length=max_length, return_token_type_ids=types)
        ids = full["input_ids"]
    return Encoded(input_ids=ids, token_type_ids=full.get("token_type_ids") if types else None), truncated


@torch.inference_mode()
def predict_logits(model: nn.Module, encoded: Encoded, pad_token_id: int, batch_size: int = 128, mixed_precision: str = "no") -> np.ndarray:
    """Logits for every encoded example, in input order."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    collate = Collator(Encoded(encoded.input_ids, None, encoded.token_type_ids), pad_token_id)
    out: list[np.ndarray | None] = [None] * len(encoded)
    for indices in sorted_batches(encoded.lengths(), batch_size):
        batch = {k: v.to(device) for k, v in collate(indices).items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=mixed_precision == "bf16"):
            logits = model(**batch).logits.float().cpu().numpy()
        for row, index in enumerate(indices):
            out[index] = logits[row]
    model.train(was_training)
    return np.stack(out) if out else np.zeros((0, 0))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
