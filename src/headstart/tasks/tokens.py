"""Token classification (NER): word→sub-word label alignment, training through the one loop, entity scores.

Tags are given per word; the tokenizer splits words into sub-words. The first
sub-word of each word carries the word's tag and the others are ignored by the
loss (-100), unless ``label_all_subwords`` gives them the tag too (a B- becomes
I- after the first sub-word). Prediction reads the first sub-word of each word,
so training and inference agree on which position speaks for a word.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch
from accelerate.utils import set_seed
from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.data.tokens import TaggedSentences, TokenData, TokenOptions, split_words
from headstart.errors import ConfigError
from headstart.evaluation.entities import entities, entity_metrics
from headstart.models.loading import load_tokenizer
from headstart.models.tagger import build_tagger
from headstart.tasks.classification import pad_id, prepare_training
from headstart.tasks.inference import softmax
from headstart.training.batching import Collator, Encoded, sorted_batches
from headstart.training.config import TrainConfig
from headstart.training.loop import LoopResult, fit, loop_config

IGNORE = -100
SELECTION_METRIC = "f1"
"""Entity-level micro F1 on validation picks the best epoch."""


@dataclass
class WordPieces:
    """Sub-word ids of word sequences, the word each sub-word belongs to, and (for training) aligned labels."""

    input_ids: list[list[int]]
    word_ids: list[list[int | None]]
    labels: list[list[int]] | None = None

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.input_ids]


def encode_words(tokenizer, sentences: list[list[str]], max_length: int) -> tuple[WordPieces, int]:
    """Tokenize pre-split words (truncating to ``max_length``); returns the pieces and how many sentences were cut."""
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError("token classification needs a fast (Rust) tokenizer to map sub-words back to words; this base has none.")
    if not sentences:
        return WordPieces([], []), 0
    full = tokenizer(sentences, is_split_into_words=True, truncation=False, add_special_tokens=True)
    truncated = sum(1 for ids in full["input_ids"] if len(ids) > max_length)
    if truncated:
        full = tokenizer(sentences, is_split_into_words=True, truncation=True, max_length=max_length)
    return WordPieces(full["input_ids"], [full.word_ids(i) for i in range(len(sentences))]), truncated


def align_labels(word_ids: list[int | None], tag_ids: list[int], tag_names: list[str], all_subwords: bool = False) -> list[int]:
    """One label per sub-word: the word's tag on its first sub-word, ``IGNORE`` (or the I- tag) on the rest."""
    index = {name: i for i, name in enumerate(tag_names)}
    labels, previous = [], None
    for word in word_ids:
        if word is None:
            labels.append(IGNORE)
        elif word != previous:
            labels.append(tag_ids[word])
        elif all_subwords:
            name = tag_names[tag_ids[word]]
            labels.append(index.get("I-" + name[2:], tag_ids[word]) if name.startswith("B-") else tag_ids[word])
        else:
            labels.append(IGNORE)
        previous = word
    return labels


class TokenCollator:
    """Pads a batch of word pieces (the shared :class:`Collator`); padded label positions are ignored by the loss."""

    def __init__(self, data: WordPieces, pad_token_id: int):
        self.data = data
        self.pad = Collator(Encoded(data.input_ids), pad_token_id)

    def __call__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        batch = self.pad(indices)
        if self.data.labels is not None:
            labels = torch.full_like(batch["input_ids"], IGNORE)
            for n, i in enumerate(indices):
                row = self.data.labels[i]
                labels[n, : len(row)] = torch.tensor(row, dtype=torch.long)
            batch["labels"] = labels
        return batch


def token_step(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy over labeled sub-words (computed inside the model, -100 ignored)."""
    return model(**batch).loss


def _windows(word_ids: list[list[int | None]], n_words: list[int], budget: int) -> list[tuple[int, int, int]]:
    """(sentence, first word, end word) windows whose sub-words fit ``budget`` (long sentences are cut at word boundaries)."""
    out = []
    for sentence, (ids, count) in enumerate(zip(word_ids, n_words)):
        pieces = np.bincount([w for w in ids if w is not None], minlength=count) if count else []
        start, used = 0, 0
        for word in range(count):
            if used + pieces[word] > budget and word > start:
                out.append((sentence, start, word))
                start, used = word, 0
            used += pieces[word]
        if count > start:
            out.append((sentence, start, count))
    return out


@torch.inference_mode()
def predict_word_tags(model: nn.Module, tokenizer, sentences: list[list[str]], max_length: int, batch_size: int = 64, mixed_precision: str = "no") -> tuple[list[list[str]], list[list[float]]]:
    """The predicted tag of every word and its probability (long sentences run in word-aligned windows)."""
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    full, _ = encode_words(tokenizer, sentences, 10**9)
    budget = max(1, max_length - tokenizer.num_special_tokens_to_add())
    windows = _windows(full.word_ids, [len(s) for s in sentences], budget)
    pieces, _ = encode_words(tokenizer, [sentences[s][a:b] for s, a, b in windows], max_length)
    tags = [["O"] * len(s) for s in sentences]
    scores = [[1.0] * len(s) for s in sentences]
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    collate = TokenCollator(WordPieces(pieces.input_ids, pieces.word_ids), pad_id(tokenizer))
    for indices in sorted_batches(pieces.lengths(), batch_size):
        batch = {k: v.to(device) for k, v in collate(indices).items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=mixed_precision == "bf16"):
            probs = softmax(model(**batch).logits.float().cpu().numpy())
        for row, index in enumerate(indices):
            sentence, offset, _ = windows[index]
            previous = None
            for position, word in enumerate(pieces.word_ids[index]):
                if word is not None and word != previous:
                    best = int(probs[row, position].argmax())
                    tags[sentence][offset + word] = names[best]
                    scores[sentence][offset + word] = float(probs[row, position, best])
                previous = word
    model.train(was_training)
    return tags, scores


def evaluate_sentences(model: nn.Module, tokenizer, split: TaggedSentences, config: TrainConfig, mixed_precision: str = "no") -> dict:
    """Entity-level metrics of ``model`` on a tagged split."""
    predicted, _ = predict_word_tags(model, tokenizer, split.words, config.max_length, config.eval_batch_size, mixed_precision)
    return entity_metrics(split.tags, predicted)


def predict_spans(model: nn.Module, tokenizer, texts: list[str], max_length: int, batch_size: int = 64) -> list[list[dict]]:
    """Entities in raw texts as character spans: ``{start, end, label, text, score}`` (score: mean word probability)."""
    offsets = [split_words(text) for text in texts]
    words = [[text[s:e] for s, e in spans] for text, spans in zip(texts, offsets)]
    tags, scores = predict_word_tags(model, tokenizer, words, max_length, batch_size)
    results = []
    for text, spans, sentence_tags, sentence_scores in zip(texts, offsets, tags, scores):
        found = []
        for kind, first, last in entities(sentence_tags):
            start, end = spans[first][0], spans[last][1]
            found.append({"start": start, "end": end, "label": kind, "text": text[start:end], "score": float(np.mean(sentence_scores[first : last + 1]))})
        results.append(found)
    return results


@dataclass
class TrainedTagger:
    model: nn.Module
    tokenizer: object
    tag_names: list[str]
    loop: LoopResult
    mixed_precision: str
    trainable_parameters: int
    total_parameters: int
    truncated: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, dict] = field(default_factory=dict)


def check_config(config: TrainConfig) -> None:
    """Options of the classification path that token classification does not support yet."""
    problems = []
    if config.method == "contrastive":
        problems.append("--method contrastive is for text classification; use --method full or head for --task tokens.")
    if config.method == "lora":
        problems.append("--method lora is not available for --task tokens yet; use --method full or head.")
    if config.seeds != 1:
        problems.append("--seeds is not available for --task tokens yet; run once per seed with --seed.")
    if config.class_weights != "none":
        problems.append("--class-weights is not available for --task tokens.")
    if config.head_init != "random":
        problems.append("--head-init probe is for text classification; token classification starts its per-token head at random.")
    if problems:
        raise ConfigError("invalid options for --task tokens:\n  " + "\n  ".join(problems))


def resolve_token_method(config: TrainConfig, log: Callable[[str], None] = print) -> TrainConfig:
    """``--method auto`` means full fine-tuning here: a per-token head on a frozen sentence encoder learns little."""
    if config.method != "auto":
        return config
    log("method auto -> full: token classification fine-tunes every weight")
    return replace(config, method="full")


def train_tagger(data: TokenData, base: ResolvedBase, config: TrainConfig, options: TokenOptions, log: Callable[[str], None] = print) -> TrainedTagger:
    """Fine-tune ``base`` as a token classifier; the model returned holds the best validation weights (entity F1)."""
    config = resolve_token_method(config, log)
    config.validate()
    check_config(config)
    set_seed(config.seed)
    tokenizer = load_tokenizer(base)
    model = build_tagger(base, data.tag_names)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = pad_id(tokenizer)
    index = {name: i for i, name in enumerate(data.tag_names)}
    train_enc, truncated = encode_words(tokenizer, data.train.words, config.max_length)
    # Tags of types never seen in train cannot occur here (the label set comes from train).
    train_enc.labels = [align_labels(w, [index[t] for t in tags], data.tag_names, options.label_all_subwords) for w, tags in zip(train_enc.word_ids, data.train.tags)]
    if truncated:
        log(f"note: {truncated} of {len(data.train)} training sentences are longer than --max-length {config.max_length} sub-words; their ends were not trained on")
    setup = prepare_training(model, config, train_enc.lengths(), log)
    mixed_precision, accelerator = setup.mixed_precision, setup.accelerator

    def evaluate(current: nn.Module) -> dict[str, float]:
        scores = evaluate_sentences(current, tokenizer, data.validation, config, mixed_precision)
        return {k: scores[k] for k in ("f1", "precision", "recall", "token_accuracy")}

    loop = fit(
        model,
        n_examples=len(train_enc),
        batches=setup.batches,
        collate=TokenCollator(train_enc, pad_id(tokenizer)),
        step=token_step,
        evaluate=evaluate,
        param_groups=setup.groups,
        config=loop_config(config, SELECTION_METRIC, mixed_precision),
        accelerator=accelerator,
        log=log,
    )
    model = accelerator.unwrap_model(model)
    for param in model.parameters():
        param.requires_grad_(True)
    return TrainedTagger(model, tokenizer, data.tag_names, loop, mixed_precision, setup.trainable, setup.total, {"train": truncated})
