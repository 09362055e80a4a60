"""Shared fixtures: a tiny random BERT and tokenizer built in-process (no downloads)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ASSETS = Path(__file__).parent / "assets"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def tiny_vocab() -> dict[str, int]:
    words = (ASSETS / "tiny_vocab.txt").read_text(encoding="utf-8").split()
    return {word: index for index, word in enumerate(words)}


def build_tiny_bert(folder: Path, layers: int = 2, hidden: int = 32, seed: int = 0) -> Path:
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    torch.manual_seed(seed)
    tokenizer = BertTokenizer(vocab=tiny_vocab())
    config = BertConfig(
        vocab_size=len(tiny_vocab()),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    """A 2-layer, 32-hidden random BERT folder usable as --base."""
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture()
def tiny_csv() -> Path:
    return ASSETS / "tiny_sentiment.csv"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def shared(name: str) -> Path:
    """Path of a dataset in ../shared/data, skipping the test when it is absent."""
    folder = SHARED_DATA / name
    if not folder.exists():
        pytest.skip(f"integration data {folder} not present")
    return folder
