"""Pre-training from scratch: a WordPiece tokenizer and a small BERT (or ALBERT) trained on the user's corpus.

Training is the same step-counted masked-LM session as ``adapt`` (one loop,
checkpoints, resume); only the model and tokenizer are new.
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

from headstart.corpus.reader import Corpus
from headstart.errors import ConfigError
from headstart.models.classifier import NO_DECAY
from headstart.models.loading import quiet_transformers
from headstart.pretrain.architectures import SIZES, build_model, parameter_counts
from headstart.pretrain.masking import MaskingSpec, WholeWordMaskingCollator
from headstart.pretrain.objectives import HeadWarmupStep, masked_token_scores
from headstart.pretrain.perplexity import pseudo_perplexity
from headstart.pretrain.schedule import ExampleOrder
from headstart.pretrain.sentence_pairs import SentencePairCollator
from headstart.pretrain.session import StepPlan, train_steps
from headstart.pretrain.wordpiece import train_wordpiece
from headstart.runs.atomic import StagedDirectory, atomic_write_json, atomic_write_text
from headstart.runs.environment import library_versions
from headstart.training.loop import make_accelerator
from headstart.training.precision import resolve_precision

RECORD_FILE = "headstart-base.yaml"
OBJECTIVES = ("mlm", "mlm+nsp", "mlm+sop")


@dataclass
class PretrainConfig:
    """What is pre-trained and how."""

    size: Literal["tiny", "mini", "small"] = "tiny"
    """Encoder shape: tiny (2 layers x 128), mini (4 x 256) or small (4 x 512)."""
    share_layers: bool = False
    """ALBERT-style: one set of layer weights reused at every depth, and factorized embeddings."""
    objective: Literal["mlm", "mlm+nsp", "mlm+sop"] = "mlm"
    """'mlm' (whole-word masked LM), 'mlm+nsp' (plus next-sentence prediction, BERT) or 'mlm+sop' (plus sentence-order prediction, ALBERT)."""
    vocab_size: int = 8000
    """WordPiece vocabulary size trained on the corpus."""
    lowercase: bool = True
    """Lowercase text before tokenizing."""
    steps: int = 2000
    """Optimizer steps."""
    batch_size: int = 32
    """Documents per step."""
    learning_rate: float = 5e-4
    """Peak learning rate (small models from scratch take a high one)."""
    warmup_ratio: float = 0.1
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
    """Seed of initialisation, data order, masks and dropout."""
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    """'auto' (bf16 where the hardware supports it natively), 'fp32' or 'bf16'."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm (0 disables)."""
    perplexity_tokens: int = 300
    """Held-out tokens scored for pseudo-perplexity."""
    eval_documents: int = 200
    """Held-out documents scored for masked-token accuracy."""

    def validate(self) -> None:
        problems = []
        if self.size not in SIZES:
            problems.append(f"--size must be one of {', '.join(SIZES)}; got '{self.size}'.")
        if self.objective not in OBJECTIVES:
            problems.append(f"--objective must be one of {', '.join(OBJECTIVES)}; got '{self.objective}'.")
        if self.vocab_size < 100:
            problems.append(f"--vocab-size must be at least 100; got {self.vocab_size}.")
        for name in ("steps", "batch_size", "checkpoint_every", "perplexity_tokens", "eval_documents"):
            if getattr(self, name) < 1:
                problems.append(f"--{name.replace('_', '-')} must be at least 1; got {getattr(self, name)}.")
        if not 8 <= self.max_length <= 512:
            problems.append(f"--max-length must be between 8 and 512; got {self.max_length}.")
        if not 0 < self.learning_rate < 1:
            problems.append(f"--learning-rate must be between 0 and 1; got {self.learning_rate}.")
        if problems:
            raise ConfigError("invalid pretrain options:\n  " + "\n  ".join(problems))

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class PretrainResult:
    path: Path
    scores: dict
    parameters: dict
    steps: int
    seconds: float


def decay_groups(model, lr: float, weight_decay: float) -> list[dict]:
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (no_decay if any(name.endswith(s) for s in NO_DECAY) else decay).append(param)
    return [{"params": decay, "lr": lr, "weight_decay": weight_decay}, {"params": no_decay, "lr": lr, "weight_decay": 0.0}]


def run_tokenizer(corpus: Corpus, config: PretrainConfig, folder: Path, reuse: bool, log: Callable[[str], None]):
    """The run's WordPiece tokenizer, trained once and kept in ``folder`` until the run completes.

    WordPiece training is not deterministic from one process to the next, so a
    resumed run (``reuse``) reads the tokenizer its checkpoint was trained with,
    and under ``accelerate launch`` the main process trains it and the others read it.
    """
    from transformers import PreTrainedTokenizerFast

    state = PartialState()
    if not (reuse and (folder / "tokenizer.json").is_file()):
        if state.is_main_process:
            started = time.perf_counter()
            trained = train_wordpiece((corpus.documents[i] for i in corpus.train), config.vocab_size, config.lowercase)
            log(f"WordPiece tokenizer: {len(trained):,} tokens trained on {len(corpus.train):,} documents ({time.perf_counter() - started:.1f}s)")
            with StagedDirectory(folder, overwrite=True) as stage:
                trained.save_pretrained(stage)
        state.wait_for_everyone()
    else:
        log(f"WordPiece tokenizer of the interrupted run: {folder}")
    return PreTrainedTokenizerFast.from_pretrained(str(folder))


def pretrain(corpus: Corpus, config: PretrainConfig, output: Path, overwrite: bool = False, resume: bool = False, log: Callable[[str], None] = print) -> PretrainResult:
    """Train a tokenizer and an encoder from scratch on ``corpus``; write a base folder to ``output``."""
    config.validate()
    output = Path(output)
    if output.exists() and not overwrite:
        raise ConfigError(f"output folder {output} already exists; choose another with --output, or pass --overwrite to replace it.")
    ckpt_dir = output.parent / f".{output.name}.checkpoint"
    if ckpt_dir.exists() and not resume:
        if not overwrite:
            raise ConfigError(f"a checkpoint of an unfinished run exists at {ckpt_dir}; pass --resume to continue it, or --overwrite to start over.")
        shutil.rmtree(ckpt_dir, ignore_errors=True)  # ignore: another process of the same launch may remove it first
    quiet_transformers()
    make_accelerator(resolve_precision(config.precision))  # sets up the process group of a launch before the tokenizer is shared
    set_seed(config.seed)
    log(corpus.describe())
    documents = corpus.documents
    started = time.perf_counter()
    tokenizer_dir = output.parent / f".{output.name}.tokenizer"
    tokenizer = run_tokenizer(corpus, config, tokenizer_dir, resume, log)
    special = {"pad": tokenizer.pad_token_id, "cls": tokenizer.cls_token_id, "sep": tokenizer.sep_token_id}
    pair_objective = config.objective.partition("+")[2]  # '', 'nsp' or 'sop'
    model = build_model(config.size, len(tokenizer), config.share_layers, bool(pair_objective), special)
    counts = parameter_counts(config.size, len(tokenizer), special)
    log(f"{type(model).__name__}: {sum(p.numel() for p in model.parameters()):,} parameters "
        f"(BERT-style {counts['bert']:,}; ALBERT-style with sharing {counts['albert_shared']:,}, without {counts['albert_unshared']:,})")

    spec = MaskingSpec(probability=config.mlm_probability)
    heldout = corpus.heldout[: config.eval_documents]
    eval_collate = WholeWordMaskingCollator(lambda ids: [documents[i] for i in ids], tokenizer, config.max_length, config.seed + 1, spec)
    # The 2-way sentence head is named for its paper's objective (ALBERT: sentence order, BERT: next sentence); either learns either.
    label_name = "sentence_order_label" if config.share_layers else "next_sentence_label"

    def make_collate(order: ExampleOrder):
        texts_for = lambda ids: [documents[order.document(v)] for v in ids]  # noqa: E731
        if pair_objective:
            return SentencePairCollator(texts_for, tokenizer, config.max_length, config.seed, label_name, spec, pair_objective, len(order.documents))
        return WholeWordMaskingCollator(texts_for, tokenizer, config.max_length, config.seed, spec)

    fingerprint = {"corpus": str(corpus.path.resolve()), "corpus_documents": len(documents),
                   **{k: v for k, v in config.to_dict().items() if k not in ("checkpoint_every", "perplexity_tokens", "eval_documents")}}
    plan = StepPlan(config.steps, config.batch_size, config.warmup_ratio, config.max_grad_norm, config.checkpoint_every, config.seed, resolve_precision(config.precision))
    step = HeadWarmupStep(0)
    session = train_steps(model, corpus, make_collate, lambda current: masked_token_scores(current, eval_collate, heldout),
                          decay_groups(model, config.learning_rate, config.weight_decay), plan, step, ckpt_dir, fingerprint, resume, log=log)
    model = session.model
    scores = masked_token_scores(model, eval_collate, heldout)
    scores.update(pseudo_perplexity(model, tokenizer, corpus.texts(heldout), config.perplexity_tokens, config.max_length).to_dict())
    seconds = time.perf_counter() - started
    log(f"held-out masked-token accuracy {scores['mlm_accuracy']:.3f} (most-frequent-token baseline {scores['majority_accuracy']:.3f}); "
        f"pseudo-perplexity {scores['pseudo_perplexity']:.1f}")
    record = {
        "headstart_base": 1,
        "made_by": "pretrain",
        "corpus": {"path": str(corpus.path), "layout": corpus.layout, "documents": len(documents), "train": len(corpus.train), "heldout": len(corpus.heldout)},
        "pretrain": config.to_dict(),
        "architecture": type(model).__name__,
        "parameters": {"this_model": sum(p.numel() for p in model.parameters()), **counts},
        "heldout": scores,
        "resumed_from_step": session.resumed_from,
        "seconds": round(seconds, 1),
        "versions": library_versions(),
    }
    if PartialState().is_main_process:  # under `accelerate launch` every process holds the same model; one writes it
        with StagedDirectory(output, overwrite) as stage:
            model.save_pretrained(stage, safe_serialization=True)
            tokenizer.save_pretrained(stage)
            atomic_write_json(stage / "metrics.json", {"heldout": scores, "losses": step.losses, "loop": {k: v for k, v in asdict(session.loop).items() if k != "history"}})
            atomic_write_text(stage / RECORD_FILE, yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
        shutil.rmtree(ckpt_dir, ignore_errors=True)
        shutil.rmtree(tokenizer_dir, ignore_errors=True)
    return PretrainResult(output, scores, record["parameters"], session.loop.optimizer_steps, seconds)
