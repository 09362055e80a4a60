"""Masked-LM step functions for :func:`headstart.training.loop.fit`, and held-out scoring."""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn

from headstart.pretrain.masking import IGNORE_INDEX


@contextmanager
def vocabulary_projection_at(model: nn.Module, selected: torch.Tensor) -> Iterator[None]:
    """Within the block, the model's output projection (hidden -> vocabulary) runs only at ``selected`` positions.

    The projection onto a 30k-token vocabulary is most of a small encoder's
    compute; masked-LM loss needs it at the ~15% masked positions only. The
    logits come out as ``[selected positions, vocabulary]``.
    """
    decoder = getattr(model, "module", model).get_output_embeddings()
    handle = decoder.register_forward_pre_hook(lambda module, args: (args[0][selected], *args[1:]))
    try:
        yield
    finally:
        handle.remove()


def masked_lm_step(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy over the masked positions (plus the sentence-pair loss of ``*ForPreTraining`` batches)."""
    if any(name.endswith("_label") for name in batch) or getattr(model, "module", model).get_output_embeddings() is None:
        return model(**batch).loss
    selected = batch["labels"] != IGNORE_INDEX
    with vocabulary_projection_at(model, selected):
        logits = mlm_logits(model(**{k: v for k, v in batch.items() if k != "labels"}))
    return nn.functional.cross_entropy(logits.float(), batch["labels"][selected])


def mlm_logits(output) -> torch.Tensor:
    """Token logits of a ``*ForMaskedLM`` (``logits``) or ``*ForPreTraining`` (``prediction_logits``) output."""
    logits = getattr(output, "logits", None)
    return output.prediction_logits if logits is None else logits


def set_encoder_trainable(model: nn.Module, trainable: bool) -> None:
    """Freeze or unfreeze everything but the MLM head (the tied decoder weight is the input embedding: encoder)."""
    model = getattr(model, "module", model)
    prefix = model.base_model_prefix + "."
    for name, param in model.named_parameters():
        if name.startswith(prefix):
            param.requires_grad_(trainable)


class HeadWarmupStep:
    """A step function that trains only the MLM head for the first ``warmup_steps`` calls.

    A freshly initialised head sends large, random gradients into a pre-trained
    encoder; training it alone first protects the encoder. Frozen parameters get
    no gradient, so AdamW leaves them (and their state) untouched.
    """

    def __init__(self, warmup_steps: int, start_step: int = 0):
        self.warmup_steps = warmup_steps
        self.calls = start_step
        self.losses: list[float] = []
        self._encoder_trains: bool | None = None
        self.rng_state: torch.Tensor | None = None
        """Torch RNG state to restore right before the next step (set when resuming: the data loader draws
        from the global generator when it starts, so restoring earlier would shift dropout by one draw)."""

    def __call__(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        encoder_trains = self.calls >= self.warmup_steps
        if encoder_trains != self._encoder_trains:
            set_encoder_trainable(model, encoder_trains)
            self._encoder_trains = encoder_trains
        if self.rng_state is not None:
            torch.set_rng_state(self.rng_state)
            self.rng_state = None
        self.calls += 1
        loss = masked_lm_step(model, batch)
        self.losses.append(float(loss.detach()))
        return loss


@torch.inference_mode()
def masked_token_scores(model: nn.Module, collate, examples: list[int], batch_size: int = 32) -> dict[str, float]:
    """Token-weighted masked-LM loss and accuracy on fixed masks, plus the most-frequent-token baseline."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total_loss, correct, count = 0.0, 0, 0
    targets: dict[int, int] = {}
    for start in range(0, len(examples), batch_size):
        batch = {k: v.to(device) for k, v in collate(examples[start : start + batch_size]).items()}
        logits = mlm_logits(model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])).float()
        selected = batch["labels"] != IGNORE_INDEX
        gold = batch["labels"][selected]
        chosen = logits[selected]
        total_loss += float(nn.functional.cross_entropy(chosen, gold, reduction="sum"))
        correct += int((chosen.argmax(-1) == gold).sum())
        count += int(gold.numel())
        for token in gold.tolist():
            targets[token] = targets.get(token, 0) + 1
    model.train(was_training)
    if not count:
        return {"mlm_loss": math.nan, "mlm_accuracy": 0.0, "majority_accuracy": 0.0, "masked_tokens": 0}
    return {
        "mlm_loss": total_loss / count,
        "mlm_accuracy": correct / count,
        "majority_accuracy": max(targets.values()) / count,
        "masked_tokens": count,
    }
