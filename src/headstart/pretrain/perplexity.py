"""Pseudo-perplexity of a masked LM (Salazar et al., 2020, "Masked Language Model Scoring").

Each token of a text is masked in turn and scored by the model; the
pseudo-log-likelihood is the sum of those log-probabilities and the
pseudo-perplexity is exp of their negative mean. It costs one forward pass per
token, so it is computed on a token budget (a few hundred tokens by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from headstart.pretrain.objectives import mlm_logits


@dataclass
class PseudoPerplexity:
    value: float
    tokens: int
    texts: int

    def to_dict(self) -> dict:
        return {"pseudo_perplexity": self.value, "tokens": self.tokens, "texts": self.texts}


@torch.inference_mode()
def pseudo_perplexity(model: nn.Module, tokenizer, texts: list[str], max_tokens: int = 300, max_length: int = 128, batch_size: int = 64) -> PseudoPerplexity:
    """Pseudo-perplexity over the first ``max_tokens`` non-special tokens of ``texts``."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    special = set(tokenizer.all_special_ids)
    mask_id = tokenizer.mask_token_id
    total_nll, scored, used = 0.0, 0, 0
    for text in texts:
        if scored >= max_tokens:
            break
        ids = tokenizer(text, truncation=True, max_length=max_length)["input_ids"]
        positions = [p for p, token in enumerate(ids) if token not in special][: max_tokens - scored]
        if not positions:
            continue
        used += 1
        row = torch.tensor(ids, dtype=torch.long, device=device)
        for start in range(0, len(positions), batch_size):
            chunk = torch.tensor(positions[start : start + batch_size], device=device)
            batch = row.repeat(len(chunk), 1)
            batch[torch.arange(len(chunk)), chunk] = mask_id
            logits = mlm_logits(model(input_ids=batch, attention_mask=torch.ones_like(batch))).float()
            log_probs = logits[torch.arange(len(chunk)), chunk].log_softmax(-1)
            total_nll -= float(log_probs[torch.arange(len(chunk)), row[chunk]].sum())
        scored += len(positions)
    model.train(was_training)
    value = math.exp(total_nll / scored) if scored else math.nan
    return PseudoPerplexity(value, scored, used)
