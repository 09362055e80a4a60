"""Continued masked-LM pre-training of a base model on the user's unlabeled text.

The training itself is :func:`headstart.training.loop.fit` with a masked-LM step;
this module wires the corpus, the masked-LM model, checkpoints and the
before/after measurements together, and writes a new base-model folder.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable, Literal

import yaml
from accelerate import PartialState
from accelerate.utils import set_seed

from headstart.catalog.resolve import ResolvedBase
from headstart.corpus.reader import Corpus
from headstart.errors import ConfigError, ModelNotFoundError
from headstart.models.classifier import NO_DECAY
from headstart.models.loading import load_tokenizer
from headstart.pretrain.masking import MaskingSpec, WholeWordMaskingCollator
from headstart.pretrain.mlm_model import architecture_summary, load_masked_lm, save_base_folder
from headstart.pretrain.objectives import HeadWarmupStep, masked_token_scores
from headstart.pretrain.perplexity import pseudo_perplexity
from headstart.pretrain.schedule import ExampleOrder
from headstart.pretrain.session import StepPlan, train_steps
from headstart.runs.atomic import StagedDirectory, atomic_write_json, atomic_write_text
from headstart.runs.environment import library_versions
from headstart.training.loop import LoopState
from headstart.training.precision import resolve_precision

RECORD_FILE = "headstart-base.yaml"
"""Written last into a base folder made by adapt or pretrain: how it was made."""


@dataclass
class AdaptConfig:
    """How continued pre-training runs."""

    steps: int = 1000
    """Optimizer steps of masked-LM training (the corpus is cycled through as often as needed)."""
    batch_size: int = 16
    """Documents per step."""
    learning_rate: float = 5e-5
    """Peak learning rate of the encoder."""
    head_learning_rate: float = 5e-4
    """Learning rate of the masked-LM head (higher: a new head starts from random)."""
    head_warmup_steps: int | None = None
    """Steps that train only the MLM head before the encoder unfreezes (default: a tenth of --steps when the base has no MLM head, else 0)."""
    warmup_ratio: float = 0.06
    """Share of steps with rising learning rate."""
    weight_decay: float = 0.01
    """AdamW weight decay (not applied to biases and LayerNorm)."""
    max_length: int = 128
    """Tokens per document; longer documents are truncated."""
    mlm_probability: float = 0.15
    """Share of tokens masked (whole words)."""
    checkpoint_every: int = 200
    """Write a checkpoint every N steps (and at the end), so --resume can continue after a crash."""
    seed: int = 42
    """Seed of the head initialisation, data order, masks and dropout."""
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    """'auto' (bf16 where the hardware supports it natively), 'fp32' or 'bf16'."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm (0 disables)."""
    perplexity_tokens: int = 300
    """Held-out tokens scored for pseudo-perplexity (one forward pass per token, so kept small)."""
    eval_documents: int = 200
    """Held-out documents scored for masked-token loss and accuracy."""

    def resolved_head_warmup(self, had_head: bool) -> int:
        if self.head_warmup_steps is not None:
            return self.head_warmup_steps
        return 0 if had_head else max(1, self.steps // 10)

    def validate(self) -> None:
        problems = []
        for name in ("steps", "batch_size", "max_length", "checkpoint_every", "perplexity_tokens", "eval_documents"):
            if getattr(self, name) < 1:
                problems.append(f"--{name.replace('_', '-')} must be at least 1; got {getattr(self, name)}.")
        for name in ("learning_rate", "head_learning_rate"):
            if not 0 < getattr(self, name) < 1:
                problems.append(f"--{name.replace('_', '-')} must be between 0 and 1; got {getattr(self, name)}.")
        if self.head_warmup_steps is not None and not 0 <= self.head_warmup_steps < self.steps:
            problems.append(f"--head-warmup-steps must be between 0 and --steps ({self.steps}); got {self.head_warmup_steps}.")
        if not 0 < self.mlm_probability < 1:
            problems.append(f"--mlm-probability must be between 0 and 1; got {self.mlm_probability}.")
        if problems:
            raise ConfigError("invalid adapt options:\n  " + "\n  ".join(problems))

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class AdaptResult:
    path: Path
    before: dict
    after: dict
    had_head: bool
    steps: int
    resumed_from: int
    seconds: float


def checkpoint_folder(output: Path) -> Path:
    return output.parent / f".{output.name}.checkpoint"


def mlm_parameter_groups(model, lr: float, head_lr: float, weight_decay: float) -> list[dict]:
    """Encoder at ``lr``, MLM head at ``head_lr``; no decay on biases and norms."""
    prefix = model.base_model_prefix + "."
    groups: dict[tuple[bool, bool], list] = {}
    for name, param in model.named_parameters():
        decay = not any(name.endswith(suffix) for suffix in NO_DECAY)
        groups.setdefault((name.startswith(prefix), decay), []).append(param)
    return [{"params": ps, "lr": lr if enc else head_lr, "weight_decay": weight_decay if decay else 0.0} for (enc, decay), ps in groups.items()]


def measure(model, tokenizer, heldout_texts: list[str], collate, heldout: list[int], config: AdaptConfig) -> dict:
    """Held-out pseudo-perplexity (token budget) and masked-token loss/accuracy (fixed masks)."""
    ppl = pseudo_perplexity(model, tokenizer, heldout_texts, config.perplexity_tokens, config.max_length)
    return {**ppl.to_dict(), **masked_token_scores(model, collate, heldout)}


def adapt(base: ResolvedBase, corpus: Corpus, config: AdaptConfig, output: Path, overwrite: bool = False, resume: bool = False, log: Callable[[str], None] = print) -> AdaptResult:
    """Continue masked-LM pre-training of ``base`` on ``corpus`` and write a new base folder to ``output``."""
    config.validate()
    output = Path(output)
    if output.exists() and not overwrite:
        raise ConfigError(f"output folder {output} already exists; choose another with --output, or pass --overwrite to replace it.")
    ckpt_dir = checkpoint_folder(output)
    if ckpt_dir.exists() and not resume:
        if not overwrite:
            raise ConfigError(f"a checkpoint of an unfinished run exists at {ckpt_dir}; pass --resume to continue it, or --overwrite to start over.")
        shutil.rmtree(ckpt_dir, ignore_errors=True)  # ignore: another process of the same launch may remove it first
    set_seed(config.seed)
    tokenizer = load_tokenizer(base)
    if not getattr(tokenizer, "is_fast", False) or tokenizer.mask_token_id is None:
        raise ModelNotFoundError(f"{base.location}: masked-LM training needs a fast tokenizer (tokenizer.json) with a [MASK] token.")
    model, had_head = load_masked_lm(base)
    warmup = config.resolved_head_warmup(had_head)
    log(corpus.describe())
    log(f"base {base.name}: {'has an MLM head' if had_head else f'no MLM head: a new one tied to the input embeddings trains alone for {warmup} steps'}")

    documents = corpus.documents
    heldout = corpus.heldout[: config.eval_documents]
    heldout_texts = corpus.texts(heldout)
    spec = MaskingSpec(probability=config.mlm_probability)
    eval_collate = WholeWordMaskingCollator(lambda ids: [documents[i] for i in ids], tokenizer, config.max_length, config.seed + 1, spec)
    before = measure(model, tokenizer, heldout_texts, eval_collate, heldout, config)
    log(f"before: pseudo-perplexity {before['pseudo_perplexity']:.2f} on {before['tokens']} held-out tokens; masked-token accuracy {before['mlm_accuracy']:.3f}"
        + ("" if had_head else " (untrained head)"))

    step = HeadWarmupStep(warmup)
    ignored = ("checkpoint_every", "perplexity_tokens", "eval_documents")
    fingerprint = {"base": base.location, "corpus": str(corpus.path.resolve()), "corpus_documents": len(documents), **{k: v for k, v in config.to_dict().items() if k not in ignored}}

    def on_step(state: LoopState, extra: dict) -> None:
        if state.result.optimizer_steps == warmup and warmup and not had_head:
            warm = measure(state.model, tokenizer, heldout_texts, eval_collate, heldout, config)
            extra["after_head_warmup"] = warm
            log(f"after {warmup} head-only steps: pseudo-perplexity {warm['pseudo_perplexity']:.2f}; masked-token accuracy {warm['mlm_accuracy']:.3f}")

    def make_collate(order: ExampleOrder) -> WholeWordMaskingCollator:
        return WholeWordMaskingCollator(lambda ids: [documents[order.document(v)] for v in ids], tokenizer, config.max_length, config.seed, spec)

    plan = StepPlan(config.steps, config.batch_size, config.warmup_ratio, config.max_grad_norm, config.checkpoint_every, config.seed, resolve_precision(config.precision))
    started = time.perf_counter()
    session = train_steps(
        model, corpus, make_collate, lambda current: masked_token_scores(current, eval_collate, heldout),
        mlm_parameter_groups(model, config.learning_rate, config.head_learning_rate, config.weight_decay),
        plan, step, ckpt_dir, fingerprint, resume, on_step, log,
    )
    model, loop, extra, resumed_from = session.model, session.loop, session.extra, session.resumed_from
    after = measure(model, tokenizer, heldout_texts, eval_collate, heldout, config)
    log(f"after: pseudo-perplexity {after['pseudo_perplexity']:.2f}; masked-token accuracy {after['mlm_accuracy']:.3f}")
    seconds = time.perf_counter() - started
    record = {
        "headstart_base": 1,
        "made_by": "adapt",
        "base": {"name": base.name, "location": base.location, "had_mlm_head": had_head},
        "corpus": {"path": str(corpus.path), "layout": corpus.layout, "documents": len(documents), "train": len(corpus.train), "heldout": len(corpus.heldout)},
        "adapt": {**config.to_dict(), "head_warmup_steps": warmup},
        "model": architecture_summary(model),
        "before": before,
        **({"after_head_warmup": extra["after_head_warmup"]} if "after_head_warmup" in extra else {}),
        "after": after,
        "final_train_loss": sum(step.losses[-10:]) / max(1, len(step.losses[-10:])),
        "resumed_from_step": resumed_from,
        "seconds": round(seconds, 1),
        "perplexity_note": f"pseudo-perplexity (Salazar et al. 2020) over the first {config.perplexity_tokens} tokens of the held-out documents",
        "versions": library_versions(),
    }
    if PartialState().is_main_process:  # under `accelerate launch` every process holds the same model; one writes it
        with StagedDirectory(output, overwrite) as stage:
            save_base_folder(model, tokenizer, base.location, stage)
            atomic_write_json(stage / "metrics.json", {"before": before, "after": after, "losses": step.losses, "loop": {k: v for k, v in asdict(loop).items() if k != "history"}})
            atomic_write_text(stage / RECORD_FILE, yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    return AdaptResult(output, before, after, had_head, loop.optimizer_steps, resumed_from, seconds)
