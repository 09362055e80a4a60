"""Encoder shapes for pre-training from scratch: BERT, or ALBERT-style with shared layers and factorized embeddings."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

MAX_POSITIONS = 512
"""Position embeddings of a new model: fine-tuning may use longer texts than pre-training did."""


@dataclass(frozen=True)
class Shape:
    layers: int
    hidden: int
    heads: int


SIZES = {
    "tiny": Shape(layers=2, hidden=128, heads=2),
    "mini": Shape(layers=4, hidden=256, heads=4),
    "small": Shape(layers=4, hidden=512, heads=8),
}
"""The compact BERTs of Turc et al. (2019), "Well-Read Students Learn Better"."""


def _config(shape: Shape, vocab_size: int, share_layers: bool, special: dict[str, int]):
    from transformers import AlbertConfig, BertConfig

    common = dict(
        vocab_size=vocab_size, hidden_size=shape.hidden, num_hidden_layers=shape.layers, num_attention_heads=shape.heads,
        intermediate_size=4 * shape.hidden, max_position_embeddings=MAX_POSITIONS, pad_token_id=special["pad"],
    )
    if share_layers:
        # Factorized embeddings: vocabulary -> E (small) -> hidden; one group of layer weights reused at every depth.
        return AlbertConfig(**common, embedding_size=min(128, shape.hidden // 2), num_hidden_groups=1, inner_group_num=1,
                            bos_token_id=special["cls"], eos_token_id=special["sep"], hidden_act="gelu")
    return BertConfig(**common)


def build_model(size: str, vocab_size: int, share_layers: bool, sentence_objective: bool, special: dict[str, int]) -> nn.Module:
    """A randomly initialised encoder with a masked-LM head (plus a 2-way sentence-relation head for NSP or SOP)."""
    from transformers import AlbertForMaskedLM, AlbertForPreTraining, BertForMaskedLM, BertForPreTraining

    config = _config(SIZES[size], vocab_size, share_layers, special)
    if share_layers:
        return (AlbertForPreTraining if sentence_objective else AlbertForMaskedLM)(config)
    return (BertForPreTraining if sentence_objective else BertForMaskedLM)(config)


def parameter_counts(size: str, vocab_size: int, special: dict[str, int]) -> dict[str, int]:
    """Parameters of the BERT-style model, and of the ALBERT-style one with and without cross-layer sharing."""
    from transformers import AlbertForMaskedLM, BertForMaskedLM

    shape = SIZES[size]
    with torch.device("meta"):
        bert = BertForMaskedLM(_config(shape, vocab_size, False, special))
        shared_config = _config(shape, vocab_size, True, special)
        shared = AlbertForMaskedLM(shared_config)
        shared_config.num_hidden_groups = shape.layers
        unshared = AlbertForMaskedLM(shared_config)

    def count(model: nn.Module) -> int:
        return sum(p.numel() for p in model.parameters())

    return {"bert": count(bert), "albert_shared": count(shared), "albert_unshared": count(unshared)}
