"""Text-to-text generation: fine-tune a decoder (prompt → completion) or a seq2seq model on the one loop."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

from accelerate.utils import set_seed
from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.data.text2text import Text2TextData, TextPairs
from headstart.errors import ConfigError
from headstart.evaluation.generation import generation_metrics
from headstart.models.classifier import count_parameters
from headstart.models.generator import DECODER, apply_generation_lora, generator_kind, load_generator
from headstart.models.loading import load_tokenizer
from headstart.tasks.generation import GenerationOptions, PairCollator, encode_pairs, generate_texts, generation_step, mean_loss, render_prompts, template_text
from headstart.training.config import TrainConfig
from headstart.training.loop import LoopResult, fit, length_grouped_epochs, loop_config, make_accelerator
from headstart.training.precision import resolve_precision

GENERATION_METHODS = ("full", "lora")


def resolve_generation_method(config: TrainConfig) -> TrainConfig:
    """``--method auto`` means LoRA for generators: a few hundred examples rarely justify updating every weight."""
    return dataclasses.replace(config, method="lora") if config.method == "auto" else config


@dataclass
class TrainedGenerator:
    model: nn.Module
    tokenizer: object
    kind: str
    """'decoder' or 'seq2seq'."""
    template: str
    stop: str | None
    loop: LoopResult
    mixed_precision: str
    trainable_parameters: int
    total_parameters: int
    truncated: dict[str, dict[str, int]] = field(default_factory=dict)
    metrics: dict[str, dict] = field(default_factory=dict)
    predictions: dict[str, list[str]] = field(default_factory=dict)


def pad_token_id(tokenizer) -> int:
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0):
        if candidate is not None:
            return int(candidate)
    return 0


def decay_groups(model: nn.Module, learning_rate: float, weight_decay: float) -> list[dict]:
    """The trainable parameters in two AdamW groups: matrices decay, biases and norms do not."""
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    return [
        {"params": [p for _, p in trainable if p.ndim >= 2], "lr": learning_rate, "weight_decay": weight_decay},
        {"params": [p for _, p in trainable if p.ndim < 2], "lr": learning_rate, "weight_decay": 0.0},
    ]


def predict_split(trained: TrainedGenerator, split: TextPairs, config: TrainConfig, options: GenerationOptions) -> tuple[dict, list[str]]:
    """Generations for a split and their ROUGE / exact match against its targets."""
    prompts, _ = render_prompts(trained.tokenizer, trained.template, split.inputs, config.max_length)
    predictions = generate_texts(trained.model, trained.tokenizer, prompts, options.max_new_tokens, config.eval_batch_size, trained.stop, trained.mixed_precision)
    return generation_metrics(predictions, split.targets), predictions


def train_text2text(data: Text2TextData, base: ResolvedBase, config: TrainConfig, options: GenerationOptions, log: Callable[[str], None] = print) -> TrainedGenerator:
    """Fine-tune ``base`` on input → target pairs; the model returned holds the best validation weights.

    ``config.max_length`` bounds the input tokens, ``options.max_target_length`` the target tokens.
    """
    config = resolve_generation_method(config)
    config.validate()
    options.validate()
    if config.method not in GENERATION_METHODS:
        raise ConfigError(f"--task text2text trains with --method auto (= lora), full or lora; got '{config.method}' (a generator has no separate head to train alone).")
    if config.seeds > 1:
        raise ConfigError("--seeds is not available with --task text2text yet; train once per seed with --seed N instead.")
    set_seed(config.seed)
    kind = generator_kind(base)
    tokenizer = load_tokenizer(base)
    template = template_text(options.resolved_template(kind))
    model = load_generator(base, kind)
    pad = pad_token_id(tokenizer)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = pad
    truncated: dict[str, dict[str, int]] = {}
    encoded = {}
    for name, split in (("train", data.train), ("validation", data.validation)):
        prompts, cut_inputs = render_prompts(tokenizer, template, split.inputs, config.max_length)
        encoded[name], cut_targets = encode_pairs(tokenizer, kind, prompts, split.targets, options.max_target_length)
        truncated[name] = {"inputs": cut_inputs, "targets": cut_targets}
        if cut_inputs or cut_targets:
            log(f"note: {name}: {cut_inputs} of {len(split)} inputs longer than --max-length {config.max_length} and {cut_targets} targets longer than --max-target-length {options.max_target_length} tokens were truncated")
    if config.method == "lora":
        model = apply_generation_lora(model, kind, config.lora_r, config.lora_alpha, config.lora_dropout)
    trainable, total = count_parameters(model)
    log(f"{kind} {config.method}: training {trainable:,} of {total:,} parameters")
    mixed_precision = resolve_precision(config.precision)
    accelerator = make_accelerator(mixed_precision)
    batches = length_grouped_epochs(encoded["train"].lengths(), config.batch_size, config.seed)
    trained = TrainedGenerator(model, tokenizer, kind, template, options.resolved_stop(kind), LoopResult(), mixed_precision, trainable, total, truncated)

    def evaluate(current: nn.Module) -> dict[str, float]:
        loss = mean_loss(current, encoded["validation"], pad, config.eval_batch_size, mixed_precision)
        scores = {"loss": loss, "neg_loss": -loss}
        if options.select_by == "rougeL":
            trained.model = current
            scores["rougeL"] = predict_split(trained, data.validation, config, options)[0]["rougeL"]
        return scores

    trained.loop = fit(
        model,
        n_examples=len(encoded["train"]),
        batches=batches,
        collate=PairCollator(encoded["train"], pad),
        step=generation_step,
        evaluate=evaluate,
        param_groups=decay_groups(model, config.resolved_learning_rate(), config.weight_decay),
        config=loop_config(config, "rougeL" if options.select_by == "rougeL" else "neg_loss", mixed_precision),
        accelerator=accelerator,
        log=log,
    )
    trained.model = accelerator.unwrap_model(model)
    trained.model.eval()
    return trained


def describe_kind(kind: str) -> str:
    return "decoder (prompt → completion, loss on the completion only)" if kind == DECODER else "encoder-decoder (seq2seq)"
