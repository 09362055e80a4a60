"""In-context few-shot prompting (GPT-3 style): a no-training baseline for classification and generation.

k labeled examples go into a decoder's prompt, followed by the input to answer.
Classification scores every class's label word by its log-likelihood after the
prompt (mean over the word's tokens, so longer words are not penalised) and picks
the highest; generation continues the prompt greedily. The demonstrations are
drawn once per seed and shared by every test input, so the prompt's key/value
cache is computed once and reused for all of them.
"""

from __future__ import annotations

import copy
import inspect
import random
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.data.classification import LabeledTexts
from headstart.data.text2text import TextPairs
from headstart.errors import ConfigError
from headstart.evaluation.generation import generation_metrics
from headstart.evaluation.metrics import classification_metrics
from headstart.models.generator import DECODER, generator_kind, load_generator
from headstart.models.loading import load_tokenizer
from headstart.tasks.generation import INPUT_SLOT, completion_text, generate_texts, template_text, truncate_inputs

DEMO_SEPARATOR = "\n\n"
DEFAULT_CLASSIFY_TEMPLATE = "Text: {input}\nLabel:"
DEFAULT_GENERATE_TEMPLATE = "Input: {input}\nOutput:"


@dataclass
class PromptModel:
    """A decoder and its tokenizer, loaded once and reused across prompts (shots, seeds)."""

    model: nn.Module
    tokenizer: object
    name: str


def load_prompt_model(base: ResolvedBase) -> PromptModel:
    """Load a decoder for prompting; seq2seq and encoder models are refused with the reason."""
    if generator_kind(base) != DECODER:
        raise ConfigError(f"in-context prompting needs a decoder (e.g. --base smollm2-135m); '{base.name}' is an encoder-decoder model. Fine-tune it instead.")
    model = load_generator(base, DECODER)
    model.eval()
    return PromptModel(model, load_tokenizer(base), base.name)


def select_per_class(labels: list[str], shots: int, seed: int) -> list[int]:
    """``shots`` example indices per class (fewer where a class has fewer), in a seeded random order."""
    rng = random.Random(seed)
    by_class: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_class.setdefault(label, []).append(index)
    chosen = [i for label in sorted(by_class) for i in rng.sample(by_class[label], min(shots, len(by_class[label])))]
    rng.shuffle(chosen)
    return chosen


def select_examples(n: int, shots: int, seed: int) -> list[int]:
    """``shots`` example indices out of ``n``, seeded."""
    return random.Random(seed).sample(range(n), min(shots, n))


def demonstrations(tokenizer, template: str, inputs: list[str], answers: list[str], max_input_tokens: int) -> str:
    """The prompt's prefix: each example rendered with the template and followed by its answer."""
    if not inputs:
        return ""
    cut, _ = truncate_inputs(tokenizer, inputs, max_input_tokens)
    blocks = []
    for text, answer in zip(cut, answers):
        query = template.replace(INPUT_SLOT, text)
        blocks.append(query + completion_text(query, answer))
    return DEMO_SEPARATOR.join(blocks) + DEMO_SEPARATOR


def _cache_argument(model: nn.Module) -> str:
    """transformers 5.x renames forward's ``past_key_values`` to ``cache`` (the old name warns, then goes in 5.40)."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _prefix_cache(model: nn.Module, prefix_ids: list[int]):
    if not prefix_ids:
        return None
    device = next(model.parameters()).device
    out = model(input_ids=torch.tensor([prefix_ids], device=device), use_cache=True)
    cache = getattr(out, "cache", None)
    return cache if cache is not None else out.past_key_values


@torch.inference_mode()
def candidate_log_likelihoods(model: nn.Module, tokenizer, prefix: str, queries: list[str], candidates: list[str], batch_size: int = 16) -> np.ndarray:
    """Mean log-probability of each candidate's tokens after ``prefix + query``: shape (queries, candidates).

    The token sequence is tokens(prefix, with special tokens) + tokens(query) + tokens(candidate),
    each tokenized on its own so the prefix's cache is exact for every query.
    """
    device = next(model.parameters()).device
    prefix_ids = tokenizer(prefix, add_special_tokens=True)["input_ids"]
    query_ids = tokenizer(queries, add_special_tokens=not prefix_ids)["input_ids"] if queries else []
    cache = _prefix_cache(model, prefix_ids)
    candidate_ids = [[tokenizer(completion_text(query, word), add_special_tokens=False)["input_ids"] for word in candidates] for query in queries]
    # Single-token label words are all read off one forward pass of the query (c=None); longer ones need a pass each.
    single = all(len(ids) == 1 for row in candidate_ids for ids in row)
    rows = [(q, None) for q in range(len(queries))] if single else [(q, c) for q in range(len(queries)) for c in range(len(candidates))]
    scores = np.zeros((len(queries), len(candidates)))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        sequences = [query_ids[q] + ([] if c is None else candidate_ids[q][c]) for q, c in chunk]
        width = max(map(len, sequences))
        input_ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), len(prefix_ids) + width), dtype=torch.long)
        mask[:, : len(prefix_ids)] = 1
        for n, sequence in enumerate(sequences):
            input_ids[n, : len(sequence)] = torch.tensor(sequence)
            mask[n, len(prefix_ids) : len(prefix_ids) + len(sequence)] = 1
        past = {}
        if cache is not None:
            copied = copy.deepcopy(cache)
            copied.batch_repeat_interleave(len(chunk))
            past = {_cache_argument(model): copied}
        logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device), use_cache=bool(past), **past).logits.float()
        log_probs = torch.log_softmax(logits, dim=-1)
        for n, (q, c) in enumerate(chunk):
            first = len(query_ids[q])
            for scored in range(len(candidates)) if c is None else (c,):
                targets = torch.tensor(candidate_ids[q][scored], device=log_probs.device)
                # Token j of the candidate is predicted at the position just before it.
                positions = torch.arange(first - 1, first - 1 + len(targets), device=log_probs.device)
                scores[q, scored] = float(log_probs[n, positions, targets].mean())
    return scores


def prompt_classify(
    prompt_model: PromptModel,
    train: LabeledTexts,
    test: LabeledTexts,
    label_names: list[str],
    shots: int,
    seed: int = 0,
    template: str | None = None,
    label_words: dict[str, str] | None = None,
    max_input_tokens: int = 128,
    batch_size: int = 16,
    log: Callable[[str], None] = print,
) -> dict:
    """Few-shot in-context classification of ``test`` with ``shots`` demonstrations per class from ``train``.

    Args:
        label_words: the word the model sees for each label (default: the label itself), e.g. {"0": "negative"}.

    Returns:
        classification metrics plus a ``prompt`` section (shots, seed, template, words, demonstration sources).
    """
    template = template_text(template or DEFAULT_CLASSIFY_TEMPLATE)
    if INPUT_SLOT not in template:
        raise ConfigError(f"--prompt-template must contain {INPUT_SLOT}; got {template!r}.")
    words = [(label_words or {}).get(name, name) for name in label_names]
    if len(set(words)) < len(words):
        raise ConfigError(f"two labels share a label word ({words}); give each label its own word with --label-words.")
    started = time.perf_counter()
    chosen = select_per_class(train.labels, shots, seed) if shots else []
    word_of = dict(zip(label_names, words))
    tokenizer = prompt_model.tokenizer
    prefix = demonstrations(tokenizer, template, [train.texts[i] for i in chosen], [word_of[train.labels[i]] for i in chosen], max_input_tokens)
    cut, truncated = truncate_inputs(tokenizer, test.texts, max_input_tokens)
    queries = [template.replace(INPUT_SLOT, text) for text in cut]
    log(f"prompting {prompt_model.name}: {len(chosen)} demonstration(s) ({shots} per class, seed {seed}), {len(tokenizer(prefix)['input_ids'])} prompt tokens; scoring {len(test)} texts")
    scores = candidate_log_likelihoods(prompt_model.model, tokenizer, prefix, queries, words, batch_size)
    index = {name: i for i, name in enumerate(label_names)}
    metrics = classification_metrics([index[label] for label in test.labels], scores.argmax(-1), label_names)
    metrics["prompt"] = {
        "method": "in-context", "base": prompt_model.name, "shots_per_class": shots, "demonstrations": len(chosen), "seed": seed,
        "template": template, "label_words": word_of, "demonstration_sources": [train.sources[i] for i in chosen],
        "truncated_inputs": truncated, "seconds": round(time.perf_counter() - started, 1),
    }
    return metrics


def prompt_generate(
    prompt_model: PromptModel,
    train: TextPairs,
    test: TextPairs,
    shots: int,
    seed: int = 0,
    template: str | None = None,
    max_input_tokens: int = 384,
    max_new_tokens: int = 64,
    stop: str | None = DEMO_SEPARATOR,
    batch_size: int = 8,
    log: Callable[[str], None] = print,
) -> tuple[dict, list[str]]:
    """Zero-shot (``shots=0``) or few-shot generation for ``test`` with ``shots`` demonstrations from ``train``.

    Generated text is cut at ``stop`` (by default the blank line that separates demonstrations).
    Returns ROUGE / exact-match metrics (with a ``prompt`` section) and the generations.
    """
    template = template_text(template or DEFAULT_GENERATE_TEMPLATE)
    if INPUT_SLOT not in template:
        raise ConfigError(f"--prompt-template must contain {INPUT_SLOT}; got {template!r}.")
    started = time.perf_counter()
    chosen = select_examples(len(train), shots, seed)
    tokenizer = prompt_model.tokenizer
    prefix = demonstrations(tokenizer, template, [train.inputs[i] for i in chosen], [train.targets[i] for i in chosen], max_input_tokens)
    cut, truncated = truncate_inputs(tokenizer, test.inputs, max_input_tokens)
    prompts = [prefix + template.replace(INPUT_SLOT, text) for text in cut]
    log(f"prompting {prompt_model.name}: {len(chosen)} demonstration(s) (seed {seed}), {len(tokenizer(prefix)['input_ids']) if prefix else 0} prompt tokens before each input; generating {len(test)}")
    predictions = generate_texts(prompt_model.model, tokenizer, prompts, max_new_tokens, batch_size, stop)
    metrics = generation_metrics(predictions, test.targets)
    metrics["prompt"] = {
        "method": "in-context", "base": prompt_model.name, "shots": len(chosen), "seed": seed, "template": template, "stop": stop,
        "demonstration_sources": [train.sources[i] for i in chosen], "truncated_inputs": truncated, "seconds": round(time.perf_counter() - started, 1),
    }
    return metrics, predictions

