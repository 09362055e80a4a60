"""Prompt-based fine-tuning of a decoder classifier (LM-BFF, Gao et al. 2021), kept a plain transformers model.

A decoder already "classifies" when prompted: after ``Review: ... Sentiment:`` the
next-word scores of ``positive`` and ``negative`` are a zero-shot classifier. Two
choices turn that into the starting point of fine-tuning, with nothing outside
what ``pipeline("text-classification")`` loads:

- the tokenizer wraps every text in the template itself: a post-processor in
  ``tokenizer.json`` adds the template's tokens around the text's, so training,
  ``headstart predict`` and plain transformers see the same prompt;
- the new head (``score``, one row per class, read at the last prompt token) starts
  from the language-model head's rows for the first token of each label word, so
  step 0 is the zero-shot prompt classifier and not a random one.
"""

from __future__ import annotations

import torch
from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.errors import ConfigError
from headstart.models.loading import hub_kwargs, quiet_transformers

INPUT_SLOT = "{input}"


def parse_label_words(value: str | None) -> dict[str, str]:
    """``'0=negative,1=positive'`` → ``{'0': 'negative', '1': 'positive'}`` (empty when not given)."""
    if not value:
        return {}
    words = {}
    for part in value.split(","):
        if "=" not in part:
            raise ConfigError(f"--label-words expects LABEL=WORD pairs separated by commas, e.g. '0=negative,1=positive'; got {part!r}.")
        label, word = part.split("=", 1)
        words[label.strip()] = word.strip()
    return words


def label_words_for(label_names: list[str], value: str) -> list[str]:
    """One word per label, in label order; every label must have one."""
    words = parse_label_words(value)
    unknown = sorted(set(words) - set(label_names))
    missing = [name for name in label_names if name not in words]
    if unknown or missing:
        raise ConfigError(
            f"--label-words must name a word for every label of the data and no other: labels are {label_names}; "
            + (f"missing {missing}" if missing else "")
            + ("; " if missing and unknown else "")
            + (f"not labels of the data {unknown}" if unknown else "")
            + ". Example: --label-words '" + ",".join(f"{name}=word" for name in label_names[:3]) + "'."
        )
    return [words[name] for name in label_names]


def split_template(template: str) -> tuple[str, str]:
    if template.count(INPUT_SLOT) != 1:
        raise ConfigError(f"--prompt-template must contain {INPUT_SLOT} exactly once, where the text goes; got {template!r}.")
    prefix, suffix = template.split(INPUT_SLOT)
    return prefix.rstrip(" "), suffix


def added_special_tokens(tokenizer) -> tuple[list[int], list[int]]:
    """The ids the tokenizer adds before and after a text (e.g. a BOS token), kept around the prompt."""
    plain = tokenizer.encode("x", add_special_tokens=False)
    full = list(tokenizer("x").input_ids)
    for start in range(len(full) - len(plain) + 1):
        if full[start : start + len(plain)] == plain:
            return full[:start], full[start + len(plain) :]
    return [], []


def wrap_in_template(tokenizer, template: str) -> None:
    """Make ``tokenizer`` put every single text inside ``template`` (saved with it in tokenizer.json)."""
    from tokenizers import pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ConfigError(f"--label-words needs a fast (tokenizers) tokenizer; {type(tokenizer).__name__} is not one.")
    prefix, suffix = split_template(template)
    leading, trailing = added_special_tokens(tokenizer)
    pieces, special = [], []
    for name, text, before, after in (("PROMPT_PREFIX", prefix, leading, []), ("PROMPT_SUFFIX", suffix, [], trailing)):
        ids = before + tokenizer.encode(text, add_special_tokens=False) + after
        if ids:
            special.append({"id": name, "ids": ids, "tokens": tokenizer.convert_ids_to_tokens(ids)})
        pieces.append(name if ids else "")
    single = " ".join(p for p in (pieces[0], "$A", pieces[1]) if p)
    backend.post_processor = TemplateProcessing(single=single, pair=single.replace("$A", "$A $B:1"), special_tokens=special)
    # A byte-level BPE tokenizes the word after "Review:" as " great": give every text that leading space.
    if isinstance(backend.pre_tokenizer, pre_tokenizers.ByteLevel) and prefix:
        backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)


def output_embeddings(model: nn.Module, base: ResolvedBase) -> torch.Tensor:
    """The language-model head's weight (vocabulary × hidden) of ``base``."""
    if getattr(model.config, "tie_word_embeddings", False):
        return model.get_input_embeddings().weight.detach()
    from transformers import AutoModelForCausalLM

    quiet_transformers()
    lm = AutoModelForCausalLM.from_pretrained(base.location, **hub_kwargs(base))
    return lm.get_output_embeddings().weight.detach()


def init_head_from_label_words(model: nn.Module, base: ResolvedBase, tokenizer, words: list[str]) -> list[int]:
    """Set the classifier's rows to the LM head's rows of each word's first token; returns those token ids."""
    score = getattr(model, "score", None)
    if not isinstance(score, nn.Linear) or score.out_features != len(words):
        raise ConfigError(
            f"--label-words is prompt-based fine-tuning of a decoder (its head reads the last prompt token); "
            f"{type(model).__name__} has no such head. Use a decoder base such as smollm2-135m, or drop --label-words."
        )
    token_ids = [tokenizer.encode(" " + word.strip(), add_special_tokens=False)[0] for word in words]
    if len(set(token_ids)) < len(token_ids):
        shared = [w for w, t in zip(words, token_ids) if token_ids.count(t) > 1]
        raise ConfigError(f"label words {shared} start with the same token, so the model cannot tell them apart; choose words that differ in their first token.")
    rows = output_embeddings(model, base)[token_ids]
    with torch.no_grad():
        score.weight.copy_(rows.to(score.weight.dtype))
        if score.bias is not None:
            score.bias.zero_()
    return token_ids
