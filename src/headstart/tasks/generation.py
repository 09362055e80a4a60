"""Prompts, encodings and greedy generation shared by text-to-text training, ``generate`` and prompting.

A decoder learns ``prompt → completion`` with the loss on the completion only:
every prompt (and padding) position gets the label -100, which the causal-LM loss
ignores. A seq2seq model reads the prompt in its encoder and is trained on the
target as decoder labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from headstart.errors import ConfigError
from headstart.models.generator import DECODER
from headstart.training.batching import sorted_batches

IGNORE = -100
"""Label of positions the loss skips (prompt and padding)."""
INPUT_SLOT = "{input}"
DEFAULT_TEMPLATES = {"decoder": "Input: {input}\nOutput:", "seq2seq": "{input}"}
GENERATION_BATCH_CAP = 32
"""Generation keeps a key/value cache per sequence; larger batches only cost memory on a CPU."""


@dataclass
class GenerationOptions:
    """Text-to-text generation"""

    target_column: str | None = None
    """Column with the target text (default: detected: summary, target, output, completion, response...)."""
    prompt_template: str | None = None
    """How an input becomes the model's prompt; must contain {input} (default: 'Input: {input}\\nOutput:' for decoders, '{input}' for seq2seq). Classification with --label-words wraps each text in it too (default '{input}\\nAnswer:')."""
    max_target_length: int = 128
    """Tokens of a target kept for training; longer targets are truncated (reported)."""
    max_new_tokens: int = 64
    """Most tokens generated per input."""
    stop: str | None = None
    """Cut generated text at this string (escapes like \\n allowed; default for decoders: a blank line, '\\n\\n')."""
    select_by: Literal["loss", "rougeL"] = "loss"
    """Validation score that picks the best epoch: 'loss' (cheap) or 'rougeL' (generates the validation set every epoch)."""

    def resolved_template(self, kind: str) -> str:
        return self.prompt_template if self.prompt_template is not None else DEFAULT_TEMPLATES[kind]

    def resolved_stop(self, kind: str) -> str | None:
        if self.stop is not None:
            return template_text(self.stop) if self.stop else None
        return "\n\n" if kind == DECODER else None

    def validate(self) -> None:
        problems = []
        if self.prompt_template is not None and INPUT_SLOT not in self.prompt_template:
            problems.append(f"--prompt-template must contain {INPUT_SLOT} where the input goes; got {self.prompt_template!r}.")
        for name in ("max_target_length", "max_new_tokens"):
            if getattr(self, name) < 1:
                problems.append(f"--{name.replace('_', '-')} must be at least 1; got {getattr(self, name)}.")
        if self.select_by not in ("loss", "rougeL"):
            problems.append(f"--select-by must be 'loss' or 'rougeL'; got '{self.select_by}'.")
        if problems:
            raise ConfigError("invalid generation options:\n  " + "\n  ".join(problems))


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def template_text(template: str) -> str:
    """A template or stop string as typed on a command line: \\n, \\t, \\r and \\\\ become characters.

    Only these escapes: every other character, non-ASCII text included, stays as typed
    (Python's 'unicode_escape' codec would turn 'é' into mojibake).
    """
    return re.sub(r"\\([ntr\\])", lambda m: _ESCAPES[m.group(1)], template)


def truncate_inputs(tokenizer, texts: list[str], max_tokens: int) -> tuple[list[str], int]:
    """Inputs cut to ``max_tokens`` tokens (so a template's suffix is never cut off) and how many were cut."""
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
    out, cut = [], 0
    for text, row in zip(texts, ids):
        if len(row) > max_tokens:
            out.append(tokenizer.decode(row[:max_tokens]))
            cut += 1
        else:
            out.append(text)
    return out, cut


def render_prompts(tokenizer, template: str, texts: list[str], max_input_tokens: int) -> tuple[list[str], int]:
    """Prompts for ``texts`` (each input truncated to ``max_input_tokens``) and the number truncated."""
    inputs, cut = truncate_inputs(tokenizer, texts, max_input_tokens)
    return [template.replace(INPUT_SLOT, text) for text in inputs], cut


def completion_text(prompt: str, target: str) -> str:
    """The target as it follows its prompt (one space after a prompt that does not end in whitespace)."""
    return target if not prompt or prompt[-1].isspace() else " " + target


@dataclass
class EncodedPairs:
    """Token ids of inputs and of their labels (decoder: same length as the input, -100 on the prompt)."""

    input_ids: list[list[int]]
    labels: list[list[int]]

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> list[int]:
        return [len(row) for row in self.input_ids]


def encode_pairs(tokenizer, kind: str, prompts: list[str], targets: list[str], max_target_length: int) -> tuple[EncodedPairs, int]:
    """Training encodings and the number of targets truncated to ``max_target_length``."""
    prompt_ids = tokenizer(prompts, add_special_tokens=True)["input_ids"]
    if kind == DECODER:
        completions = [completion_text(p, t) for p, t in zip(prompts, targets)]
        target_ids = tokenizer(completions, add_special_tokens=False)["input_ids"]
        eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    else:
        target_ids = tokenizer(text_target=targets, add_special_tokens=True)["input_ids"]
        eos = []
    cut = sum(1 for row in target_ids if len(row) > max_target_length)
    target_ids = [row[:max_target_length] + eos for row in target_ids]
    if kind == DECODER:
        return EncodedPairs([p + t for p, t in zip(prompt_ids, target_ids)], [[IGNORE] * len(p) + t for p, t in zip(prompt_ids, target_ids)]), cut
    return EncodedPairs(prompt_ids, target_ids), cut


class PairCollator:
    """Right-pads inputs with the pad id and labels with -100, each to the batch's longest."""

    def __init__(self, data: EncodedPairs, pad_token_id: int):
        self.data = data
        self.pad_token_id = pad_token_id

    def __call__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        rows = [self.data.input_ids[i] for i in indices]
        labels = [self.data.labels[i] for i in indices]
        width, label_width = max(map(len, rows)), max(map(len, labels))
        input_ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        label_ids = torch.full((len(rows), label_width), IGNORE, dtype=torch.long)
        for n, (row, label) in enumerate(zip(rows, labels)):
            input_ids[n, : len(row)] = torch.tensor(row)
            attention[n, : len(row)] = 1
            label_ids[n, : len(label)] = torch.tensor(label)
        return {"input_ids": input_ids, "attention_mask": attention, "labels": label_ids}


def generation_step(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Token cross-entropy on the labels (the model shifts them for decoders and skips -100)."""
    return model(**batch).loss


@torch.inference_mode()
def mean_loss(model: nn.Module, data: EncodedPairs, pad_token_id: int, batch_size: int, mixed_precision: str = "no") -> float:
    """Loss per target token over ``data`` (the validation loss)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    collate = PairCollator(data, pad_token_id)
    total, tokens = 0.0, 0
    for indices in sorted_batches(data.lengths(), batch_size):
        batch = {k: v.to(device) for k, v in collate(indices).items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=mixed_precision == "bf16"):
            loss = float(model(**batch).loss)
        # Decoders predict label t from position t-1, so the first label never counts.
        counted = int((batch["labels"][:, 1:] != IGNORE).sum()) if model_is_decoder(model) else int((batch["labels"] != IGNORE).sum())
        total += loss * counted
        tokens += counted
    model.train(was_training)
    return total / max(tokens, 1)


def model_is_decoder(model: nn.Module) -> bool:
    return not getattr(getattr(model, "config", None), "is_encoder_decoder", False)


def cut_at_stop(text: str, stop: str | None) -> str:
    text = text.strip()
    if stop and stop in text:
        text = text[: text.index(stop)]
    return text.strip()


@torch.inference_mode()
def generate_texts(model: nn.Module, tokenizer, prompts: list[str], max_new_tokens: int, batch_size: int, stop: str | None = None, mixed_precision: str = "no") -> list[str]:
    """Greedy generations for ``prompts`` (already rendered and truncated), in input order."""
    if not prompts:
        return []
    was_training = model.training
    model.eval()
    decoder = model_is_decoder(model)
    device = next(model.parameters()).device
    ids = tokenizer(prompts, add_special_tokens=True)["input_ids"]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    out: list[str] = [""] * len(prompts)
    for indices in sorted_batches([len(row) for row in ids], min(batch_size, GENERATION_BATCH_CAP)):
        rows = [ids[i] for i in indices]
        width = max(map(len, rows))
        input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for n, row in enumerate(rows):
            # Decoders continue from the last position, so their prompts are padded on the left.
            span = slice(width - len(row), width) if decoder else slice(0, len(row))
            input_ids[n, span] = torch.tensor(row)
            attention[n, span] = 1
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=mixed_precision == "bf16"):
            generated = model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention.to(device),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                num_beams=1,
                pad_token_id=pad,
                eos_token_id=tokenizer.eos_token_id,
            )
        new = generated[:, width:] if decoder else generated
        for index, text in zip(indices, tokenizer.batch_decode(new, skip_special_tokens=True)):
            out[index] = cut_at_stop(text, stop)
    model.train(was_training)
    return out
