"""Contrastive few-shot classification (``--method contrastive``), in the spirit of SetFit.

Stage 1 fine-tunes the encoder so that texts of the same label embed close and
texts of different labels apart: SetFit's cosine-similarity objective, but over
*every* pair inside a class-grouped batch (training/sampling.py) instead of a
pre-built pair list, so memory and time stay linear in the number of examples
(SetFit's pair list is quadratic: setfit #628, #249). Which classes share a batch
changes every pass, so every class meets many others as negatives. It runs on the
one training loop; only the step differs. The sentence vector is an exact token mean
during training too (models/pooling.exact_mean_pooling: no dropout in the pooling layer),
as in sentence-transformers.

Stage 2 fits a logistic-regression head on the frozen embeddings (as SetFit
does) and writes it into the model's own output layer, so the run stays a plain
transformers classifier: the pooler becomes a near-identity ``tanh(s*x)/s`` with
small ``s`` and the classifier takes the regression's weights.

Two optional stages go beyond SetFit, each kept only where validation says so:
``--contrastive-end-to-end N`` fine-tunes encoder and head together with
cross-entropy (tasks/end_to_end.py), and ``--unlabeled FILE`` adds one round of
self-training on confidently pseudo-labeled texts (tasks/self_training.py).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from accelerate.utils import set_seed
from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.data.classification import ClassificationData
from headstart.data.unlabeled import UnlabeledTexts
from headstart.errors import ConfigError
from headstart.evaluation.metrics import classification_metrics
from headstart.models.classifier import build_classifier, count_parameters, head_parameter_names, parameter_groups
from headstart.models.loading import load_tokenizer
from headstart.models.pooling import exact_mean_pooling
from headstart.tasks.classification import TrainedClassifier, pad_id, split_targets
from headstart.tasks.end_to_end import end_to_end_stage
from headstart.tasks.inference import encode_texts, predict_logits, softmax
from headstart.tasks.linear_probe import embed, fit_head, install_head, sentence_embeddings, supports_fitted_head
from headstart.tasks.self_training import pseudo_label_cap, select_pseudo_labels
from headstart.training.augment import TokenDeletion, deletion_for
from headstart.training.batching import Collator, Encoded
from headstart.training.config import TrainConfig
from headstart.training.loop import EpochBatches, LoopConfig, LoopResult, fit, make_accelerator
from headstart.training.precision import resolve_precision
from headstart.training.sampling import class_grouped_batches

MIN_VIEWS_PER_CLASS = 320
"""The contrastive stage shows every class at least this many texts: 40 passes at 8 examples per class."""
MIN_PASSES = 32
"""...and makes at least this many passes over the labeled examples.

Both chosen on tuning seeds (10-14, never the benchmark's 0-2) of benchmarks/fewshot.py on a CPU, passes → test
accuracy: SST-2 8/class 20/40/80 → 0.633/0.643/0.637 (mean of 5 seeds); AG News 8/class 10/20/40 → 0.835/0.839/0.839
(3 seeds); TREC 8/class 16/27/40/80 → 0.746/0.830/0.852/- (2 seeds; 80 on seed 10: 0.874 vs 0.878 at 40); SST-2
64/class 5/10/20 → 0.763/0.771/0.776 (2 seeds), 16/32 → 0.780/0.777 (3 seeds); TREC 64/class 4/8/16 →
0.880/0.896/0.916 (1 seed), 16/32 → 0.910/0.923 (2 seeds). SetFit's default (20 iterations) shows every example 80 times.
"""
MIN_PASSES_TWO_CLASSES = 16
"""...or this many where the run has two classes. Every batch then holds both classes, eight texts each, so each text
meets seven same-label partners a pass rather than three (training/sampling.classes_per_batch), and half the passes
show it as many. Chosen on tuning seeds of benchmarks/fewshot.py's SST-2 at 64 per class (10-19 and 50-59, twenty
seeds; never the benchmark's 0-9, 20-42), 16 vs 32 passes: 0.7806 vs 0.7783, +0.23 points [-0.20, +0.66], 11 ahead / 1
tied / 8 behind, in half the time (BENCHMARKS.md, twenty-fifth session). Multi-class runs keep 32: TREC 64/class at 16
passes lost 0.36 points on five tuning seeds. At 8 per class MIN_VIEWS_PER_CLASS sets the budget either way (40 passes).
"""
EVALUATIONS = 2
"""Times the stage is scored on validation (each costs one embedding pass over train and validation)."""


def pair_cosine_loss(embeddings: torch.Tensor, labels: torch.Tensor, positive_target: float = 1.0, negative_hinge: bool = False, hard_pairs: float = 0.0, negative_target: float = 0.0) -> torch.Tensor:
    """SetFit's loss, (cos - same_label)^2, averaged over all pairs of the batch; positives and negatives weigh equally.

    ``positive_target`` is the cosine same-label pairs are pulled to (SetFit's 1; BENCHMARKS.md, ninth round, tried 0.8),
    ``negative_target`` the one different-label pairs are pulled to (SetFit's 0; twenty-ninth session tried -1/(K-1)).
    ``negative_hinge`` penalises different-label pairs only above cosine 0, relu(cos)^2 (fourteenth round: no better).
    ``hard_pairs`` (beta > 0) weights each different-label pair by softmax(beta * cos) over the batch's different-label
    pairs and each same-label pair by softmax(-beta * cos) over its same-label pairs, rescaled to mean 1 and held
    constant, so hard pairs weigh more (twentieth session: no better).
    """
    unit = nn.functional.normalize(embeddings.float(), dim=-1)
    cosine = unit @ unit.T
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    positive, negative = same & off_diagonal, ~same
    terms = []
    if positive.any():
        terms.append(_pair_mean((cosine[positive] - positive_target) ** 2, -cosine[positive], hard_pairs))
    if negative.any():
        offset = cosine[negative] - negative_target
        terms.append(_pair_mean((offset.clamp(min=0) if negative_hinge else offset) ** 2, cosine[negative], hard_pairs))
    if not terms:  # a batch of one example has no pairs
        return cosine.sum() * 0.0
    return sum(terms) / len(terms)


def _pair_mean(errors: torch.Tensor, hardness: torch.Tensor, beta: float) -> torch.Tensor:
    """Mean of the pairs' errors; with ``beta`` nonzero, weighted by softmax(beta * hardness) rescaled to mean 1 (held constant)."""
    if not beta:
        return errors.mean()
    return (torch.softmax(beta * hardness.detach(), dim=0) * len(hardness) * errors).mean()


def contrastive_step(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return pair_cosine_loss(sentence_embeddings(model, batch), batch["labels"])


def evaluation_blocks(passes: int) -> tuple[int, int]:
    """(evaluations, passes per evaluation block) of a stage asked for ``passes`` passes; it runs their product."""
    evaluations = min(EVALUATIONS, passes)
    return evaluations, math.ceil(passes / evaluations)


def contrastive_passes(labels: list[int], config: TrainConfig) -> int:
    """Passes over the labeled examples: --contrastive-passes, else enough to show each class MIN_VIEWS_PER_CLASS texts
    (by the median class size), and at least MIN_PASSES (MIN_PASSES_TWO_CLASSES with two classes)."""
    if config.contrastive_passes is not None:
        return config.contrastive_passes
    counts = np.bincount(np.asarray(labels, dtype=int))
    present = counts[counts > 0]
    per_class = float(np.median(present)) if len(labels) else 1.0
    floor = MIN_PASSES_TWO_CLASSES if len(present) == 2 else MIN_PASSES
    return max(floor, math.ceil(MIN_VIEWS_PER_CLASS / max(per_class, 1.0)))


@dataclass
class ContrastiveSetup:
    """What every stage of one contrastive run shares: validation data, options, precision, log."""

    pad_token_id: int
    validation: Encoded
    validation_true: np.ndarray
    label_names: list[str]
    config: TrainConfig
    mixed_precision: str
    log: Callable[[str], None]
    deletion: TokenDeletion | None = None
    """Word-piece deletion applied to texts as they enter a pair batch (training/augment.py); None = off."""

    def embed(self, model: nn.Module, encoded: Encoded) -> np.ndarray:
        return embed(model, encoded, self.pad_token_id, self.config.eval_batch_size, self.mixed_precision)

    def score(self, model: nn.Module) -> dict[str, float]:
        """Validation scores of the model's own output layer (the installed head)."""
        logits = predict_logits(model, self.validation, self.pad_token_id, self.config.eval_batch_size, self.mixed_precision)
        scores = classification_metrics(self.validation_true, logits.argmax(-1), self.label_names)
        return {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]}


def contrastive_stage(model: nn.Module, encoded: Encoded, passes: int, setup: ContrastiveSetup, stage: str = "contrastive") -> tuple[LoopResult, int]:
    """Stage 1 (encoder tuned on pairs of ``encoded``'s labels) then stage 2 (logistic-regression head written into ``model``).

    Returns the loop's result (history tagged with ``stage``) and the number of parameters trained.
    """
    config, log = setup.config, setup.log
    labels = np.asarray(encoded.labels)
    n_classes = len(setup.label_names)
    for name in head_parameter_names(model):
        model.get_parameter(name).requires_grad_(False)
    groups = parameter_groups(model, "full", config.resolved_learning_rate(), config.resolved_learning_rate(), config.weight_decay, config.layer_decay)
    trainable, total = count_parameters(model)
    evaluations, per_block = evaluation_blocks(passes)
    log(f"method contrastive: {per_block * evaluations} passes over {len(encoded)} examples in class-grouped batches of {config.batch_size}, training {trainable:,} of {total:,} parameters; then a logistic-regression head")

    def block_batches(epoch: int) -> list[list[int]]:
        first = max(epoch - 1, 0) * per_block
        return [b for p in range(first, first + per_block) for b in class_grouped_batches(encoded.labels, config.batch_size, config.seed * 1000 + p)]

    head: dict[str, object] = {}

    def evaluate(current: nn.Module) -> dict[str, float]:
        head["fit"] = fit_head(setup.embed(current, encoded), labels, n_classes, config.seed)
        weight, bias, scale = head["fit"]
        val_logits = setup.embed(current, setup.validation) * scale @ weight.T + bias
        scores = classification_metrics(setup.validation_true, val_logits.argmax(-1), setup.label_names)
        return {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]}

    accelerator = make_accelerator(setup.mixed_precision)
    with exact_mean_pooling(model):  # the loss reads the pooled vector: no dropout on which tokens or dimensions enter it
        loop = fit(
            model,
            n_examples=len(encoded),
            batches=EpochBatches(block_batches),
            collate=Collator(encoded, setup.pad_token_id, augment=setup.deletion),
            step=contrastive_step,
            evaluate=evaluate,
            param_groups=groups,
            # A fixed budget, like SetFit: with few examples validation is too small to pick a stopping point.
            config=LoopConfig(evaluations, config.warmup_ratio, config.max_grad_norm, 0, config.metric, setup.mixed_precision, config.schedule),
            accelerator=accelerator,
            log=log,
            keep_best=False,
        )
    model = accelerator.unwrap_model(model)
    if "fit" not in head or loop.interrupted:
        head["fit"] = fit_head(setup.embed(model, encoded), labels, n_classes, config.seed)
    install_head(model, *head["fit"])
    log("contrastive: logistic-regression head written into the model's output layer")
    for param in model.parameters():
        param.requires_grad_(True)
    for entry in loop.history:
        entry["stage"] = stage
    return loop, trainable


def merge_loops(first: LoopResult, second: LoopResult, stage: str, adopted: bool) -> LoopResult:
    """One result for consecutive stages: counts and times add up, the history continues the epoch numbers."""
    offset = first.epochs_run
    merged = dataclasses.replace(first, history=first.history + [{**entry, "epoch": entry["epoch"] + offset, "stage": entry.get("stage", stage)} for entry in second.history])
    for name in ("epochs_run", "optimizer_steps", "examples_seen", "tokens_seen", "train_seconds", "eval_seconds"):
        setattr(merged, name, getattr(first, name) + getattr(second, name))
    merged.interrupted = first.interrupted or second.interrupted
    merged.stopped_early = first.stopped_early or second.stopped_early
    if adopted:
        merged.best_metric, merged.best_epoch = second.best_metric, second.best_epoch + offset
    return merged


def run_end_to_end(model: nn.Module, encoded: Encoded, setup: ContrastiveSetup, loop: LoopResult, stage: str) -> tuple[LoopResult, dict | None]:
    """The optional cross-entropy stage (--contrastive-end-to-end) after a head was installed; kept only if validation improves."""
    if not setup.config.contrastive_end_to_end or loop.interrupted:
        return loop, None
    outcome = end_to_end_stage(model, encoded, setup.pad_token_id, setup.score, setup.config, setup.mixed_precision, setup.log)
    summary = {"epochs_run": outcome.loop.epochs_run, "validation_before": outcome.baseline, "validation_best": outcome.loop.best_metric, "kept": outcome.kept}
    return merge_loops(loop, outcome.loop, stage, outcome.kept), summary


def self_train(model: nn.Module, tokenizer, train: Encoded, unlabeled: UnlabeledTexts, passes: int, setup: ContrastiveSetup, loop: LoopResult) -> tuple[LoopResult, dict]:
    """One self-training round: pseudo-label the unlabeled texts, retrain on labeled + pseudo-labeled; kept unless validation drops.

    The round tunes the encoder contrastively on the union for as many texts as the labeled round saw, refits the
    head on the union and, with --contrastive-end-to-end, fine-tunes end to end on it.
    """
    config, log = setup.config, setup.log
    labels = np.asarray(train.labels)
    encoded, _ = encode_texts(tokenizer, unlabeled.texts, config.max_length)
    probabilities = softmax(predict_logits(model, encoded, setup.pad_token_id, config.eval_batch_size, setup.mixed_precision))
    picked, pseudo = select_pseudo_labels(probabilities, labels, config.pseudo_label_threshold, config.pseudo_label_ratio)
    before = setup.score(model)[config.metric]
    summary = {
        "file": unlabeled.path,
        **unlabeled.counts(),
        "threshold": config.pseudo_label_threshold,
        "cap_per_class": pseudo_label_cap(labels, config.pseudo_label_ratio),
        "pseudo_labels": int(len(picked)),
        "per_class": {setup.label_names[c]: int((pseudo == c).sum()) for c in np.unique(labels)},
        "validation_before": before,
        "validation_after": before,
        "kept": False,
    }
    log(f"self-training: {len(picked)} of {len(unlabeled)} unlabeled texts pseudo-labeled with probability >= {config.pseudo_label_threshold} (at most {summary['cap_per_class']} per class)")
    if not len(picked):
        log("self-training: no unlabeled text reached the threshold; lower --pseudo-label-threshold to use some")
        return loop, summary
    snapshot = {k: v.detach().clone() for k, v in model.state_dict().items()}
    union = Encoded(train.input_ids + [encoded.input_ids[i] for i in picked], list(train.labels) + pseudo.tolist())
    round_loop, _ = contrastive_stage(model, union, max(1, round(passes * len(train) / len(union))), setup, "self_training")
    merged = merge_loops(loop, round_loop, "self_training", True)
    merged, end_to_end = run_end_to_end(model, union, setup, merged, "self_training_end_to_end")
    if end_to_end is not None:
        summary["end_to_end"] = end_to_end
    after = setup.score(model)[config.metric]
    summary["validation_after"], summary["kept"] = after, after >= before
    if not summary["kept"]:
        with torch.no_grad():
            model.load_state_dict(snapshot)
    log(f"self-training: validation {config.metric} {before:.4f} -> {after:.4f}: {'kept' if summary['kept'] else 'not kept, model before the round restored'}")
    return merged, summary


def contrastive_summary(encoded: Encoded, passes: int, rate: float, deletion: TokenDeletion | None, why: str) -> dict:
    """What the contrastive stage did, for headstart.yaml's ``stages`` and the model card: passes, and whether word-piece
    deletion ran (``why`` is augment.deletion_for's line: on how many texts, or why not)."""
    evaluations, per_block = evaluation_blocks(passes)
    return {"passes": evaluations * per_block, "examples": len(encoded), "token_deletion": {"on": deletion is not None, "rate": rate, "reason": why}}


def train_contrastive(data: ClassificationData, base: ResolvedBase, config: TrainConfig, log: Callable[[str], None] = print) -> TrainedClassifier:
    """Contrastive encoder fine-tuning, then a logistic-regression head (then the optional stages); single-label data only."""
    config.validate()
    if data.multi_label:
        raise ConfigError("--method contrastive is for single-label data; use --method full for multi-label classification.")
    if getattr(data, "is_pairs", False):
        raise ConfigError("--method contrastive embeds single texts; for sentence pairs use --method full.")
    set_seed(config.seed)
    tokenizer = load_tokenizer(base)
    model = build_classifier(base, data.label_names, pooling=config.pooling)
    if not supports_fitted_head(model):
        raise ConfigError(f"--method contrastive needs a BERT-style encoder with a pooler; {type(model).__name__} is not one. Use --method full.")
    if model.config.pad_token_id is None:
        model.config.pad_token_id = pad_id(tokenizer)
    train_enc, truncated_train = encode_texts(tokenizer, data.train.texts, config.max_length)
    train_enc.labels = split_targets(data.train, data.label_names, False, data.label_separator).tolist()
    val_enc, truncated_val = encode_texts(tokenizer, data.validation.texts, config.max_length)
    val_true = split_targets(data.validation, data.label_names, False, data.label_separator)
    deletion, why = deletion_for(train_enc.input_ids, train_enc.labels, config.contrastive_token_deletion, tokenizer.all_special_ids, config.seed)
    log(f"contrastive: {why}")
    setup = ContrastiveSetup(pad_id(tokenizer), val_enc, val_true, data.label_names, config, resolve_precision(config.precision), log, deletion)

    passes = contrastive_passes(train_enc.labels, config)
    loop, trainable = contrastive_stage(model, train_enc, passes, setup)
    total = count_parameters(model)[1]
    stages: dict[str, dict] = {"contrastive": contrastive_summary(train_enc, passes, config.contrastive_token_deletion, deletion, why)}
    loop, e2e = run_end_to_end(model, train_enc, setup, loop, "end_to_end")
    if e2e is not None:
        stages["end_to_end"] = e2e
    if data.unlabeled is not None and not loop.interrupted:
        loop, stages["self_training"] = self_train(model, tokenizer, train_enc, data.unlabeled, passes, setup, loop)
    if "end_to_end" in stages or "self_training" in stages:  # the kept model's own validation score, whichever stage produced it
        loop.best_metric = setup.score(model)[config.metric]
    return TrainedClassifier(model, tokenizer, data.label_names, loop, setup.mixed_precision, trainable, total, {"train": truncated_train, "validation": truncated_val}, stages=stages)
