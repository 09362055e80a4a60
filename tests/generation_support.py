"""Tiny random generators built in-process: a Llama decoder and a T5 seq2seq model with a word-level tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

WORDS = (
    "input output text label summary : the a cat dog sat ran on mat park fast slow red blue green big small "
    "is was good bad great awful movie film plot fun boring happy sad one two three four five"
).split()
SPECIALS = ["[PAD]", "[UNK]", "[EOS]"]

PAIRS = [
    ("the cat sat on the mat", "cat mat"),
    ("the dog ran in the park", "dog park"),
    ("a red cat ran fast", "red cat"),
    ("a blue dog sat slow", "blue dog"),
    ("the big green dog", "green dog"),
    ("the small red cat", "red cat"),
    ("one two three", "three"),
    ("four five one", "one"),
]


def word_tokenizer(seq2seq: bool = False):
    """A whitespace word-level tokenizer; seq2seq ones append [EOS] like T5's."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(SPECIALS + sorted({w.lower() for w in WORDS} | {w.capitalize() for w in WORDS}))}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    if seq2seq:
        backend.post_processor = processors.TemplateProcessing(single="$A [EOS]", special_tokens=[("[EOS]", vocab["[EOS]"])])
    return PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]")


def build_tiny_decoder(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    tokenizer = word_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
        max_position_embeddings=256, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, bos_token_id=None, tie_word_embeddings=False,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_t5(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(seed)
    tokenizer = word_tokenizer(seq2seq=True)
    config = T5Config(
        vocab_size=len(tokenizer), d_model=32, d_kv=16, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=2,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.pad_token_id,
    )
    T5ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def write_pairs(path: Path, pairs=PAIRS, repeat: int = 1) -> Path:
    lines = [json.dumps({"document": source, "summary": target}) for _ in range(repeat) for source, target in pairs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
