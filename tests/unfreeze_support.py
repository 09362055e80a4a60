"""The child process of tests/test_unfreeze.py's two-process check (kept apart so a child imports only what it needs)."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def tiny_classifier(base: Path):
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    return BertForSequenceClassification.from_pretrained(str(base), num_labels=2)


def train_rank(rank: int, port: int, base: str, out: str) -> None:
    """One of two gloo processes (as `accelerate launch` would start them) training 3 epochs with --gradual-unfreeze 1."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), CUDA_VISIBLE_DEVICES="")
    torch.set_num_threads(1)
    from safetensors.torch import save_file

    from headstart.models.classifier import parameter_groups
    from headstart.training.loop import EpochBatches, LoopConfig, fit, make_accelerator

    model = tiny_classifier(Path(base))
    input_ids = torch.randint(5, 58, (8, 6), generator=torch.Generator().manual_seed(0))
    accelerator = make_accelerator("no")
    fit(
        model,
        n_examples=8,
        batches=EpochBatches(lambda epoch: [[0, 1, 2, 3], [4, 5, 6, 7]]),
        collate=lambda idx: {"input_ids": input_ids[idx], "attention_mask": torch.ones_like(input_ids[idx]), "labels": torch.tensor(idx) % 2},
        step=lambda m, batch: m(**batch).loss,
        evaluate=lambda m: {"score": 0.0},
        param_groups=parameter_groups(model, "full", 1e-2, 1e-2, 0.0),
        config=LoopConfig(epochs=3, warmup_ratio=0.0, max_grad_norm=1.0, patience=0, metric="score", unfreeze_every=1),
        accelerator=accelerator,
        log=lambda message: None,
        keep_best=False,
    )
    save_file({k: v.contiguous() for k, v in accelerator.unwrap_model(model).state_dict().items()}, f"{out}/rank{rank}.safetensors")
    accelerator.end_training()
