"""Batched, length-sorted inference shared by evaluation, predict, serve, audits and ``--method auto``."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.errors import ModelNotFoundError
from headstart.models.loading import hub_kwargs, load_tokenizer, quiet_transformers
from headstart.models.pooling import masked_mean
from headstart.training.batching import Collator, Encoded, sorted_batches


def pad_id(tokenizer) -> int:
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0):
        if candidate is not None:
            return int(candidate)
    return 0


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


@torch.inference_mode()
def embed_texts(base: ResolvedBase, texts: list[str], max_length: int = 128, batch_size: int = 64) -> np.ndarray:
    """L2-normalised mean of the last hidden states of the frozen pre-trained encoder of ``base``, one row per text."""
    from transformers import AutoModel

    quiet_transformers()
    tokenizer = load_tokenizer(base)
    try:
        model = AutoModel.from_pretrained(base.location, **hub_kwargs(base))
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"could not load an encoder from {base.location} ({err}). Is it a complete Hugging Face model folder?") from None
    model.eval()
    encoded, _ = encode_texts(tokenizer, texts, max_length)
    collate = Collator(encoded, pad_id(tokenizer))
    out = np.zeros((len(texts), int(model.config.hidden_size)), dtype=np.float32)
    for indices in sorted_batches(encoded.lengths(), batch_size):
        batch = collate(indices)
        states = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        out[indices] = masked_mean(states, batch["attention_mask"]).float().numpy()
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
