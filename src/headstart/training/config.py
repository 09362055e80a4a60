"""Training options: one typed dataclass, validated in one place."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from headstart.errors import ConfigError
from headstart.training.augment import DELETION_RATE

METHODS = ("auto", "full", "head", "lora", "contrastive")
PRECISIONS = ("auto", "fp32", "bf16")
METRICS = ("accuracy", "macro_f1")
HEAD_INITS = ("random", "probe")


@dataclass
class TrainConfig:
    """How the model is trained."""

    method: Literal["auto", "full", "head", "lora", "contrastive"] = "auto"
    """What trains: 'full' (every weight), 'head' (the new output layer only; encoder frozen), 'lora' (low-rank adapters + head), 'contrastive' (SetFit-style few-shot: encoder tuned on same/different-label pairs, then a logistic-regression head) or 'auto' (chosen from the labels per class and how well the pre-trained embedding already separates the classes; the reason is logged and saved)."""
    epochs: int = 8
    """Maximum passes over the training data."""
    learning_rate: float | None = None
    """Peak learning rate (default: 5e-5 for full, 2e-3 for head, 5e-4 for lora, 2e-5 for contrastive)."""
    pooling: Literal["auto", "cls", "mean"] = "auto"
    """How the head reads the text: 'cls' token, or 'mean' of tokens via an added pooling layer; 'auto' = mean for sentence-transformers bases."""
    head_learning_rate: float | None = None
    """Learning rate of the new output layer (default: 20x the encoder's for full fine-tuning, since it starts from random; the encoder's own with --head-init probe)."""
    head_init: Literal["random", "probe"] = "random"
    """How the new output layer starts for --method full: 'random', or 'probe' = a logistic-regression head fitted on the pre-trained embeddings of the training texts, so fine-tuning starts from a head that already classifies (linear probing, then fine-tuning; single-label classification with a BERT-style encoder)."""
    layer_decay: float = 1.0
    """Discriminative learning rates (ULMFiT/LLRD): each layer below the top trains at this factor of the one above (1 = off)."""
    schedule: Literal["linear", "slanted", "constant"] = "linear"
    """Learning-rate schedule: 'linear' warmup then decay, ULMFiT 'slanted' triangular, or 'constant' after warmup."""
    gradual_unfreeze: int = 0
    """Gradual unfreezing (ULMFiT): the new head trains alone for this many epochs, then one more encoder layer joins every this many epochs, top layer first, embeddings last (0 = off; with --method full, or lora where the adapters join layer by layer)."""
    contrastive_passes: int | None = None
    """Passes over the labeled examples in the contrastive stage (with --method contrastive; default: enough to show each class 320 texts, i.e. 40 passes at 8 examples per class, and at least 32, or 16 with two classes)."""
    contrastive_token_deletion: float = DELETION_RATE
    """With --method contrastive, where the median class has at most 16 labeled examples and the median labeled text 24 or more word pieces (news, reviews): each time such a text enters a pair batch, each of its word pieces is left out with this probability, so the encoder learns what a class's texts share rather than the texts themselves (0 = off; shorter texts are never altered, nor is anything at inference)."""
    contrastive_end_to_end: int = 0
    """With --method contrastive: after the logistic-regression head, fine-tune encoder and head together with cross-entropy for up to this many epochs (0 = off); kept only where validation improves."""
    pseudo_label_threshold: float = 0.8
    """With --unlabeled: unlabeled texts the model labels with at least this probability become training examples (self-training)."""
    pseudo_label_ratio: int = 4
    """With --unlabeled: at most this many pseudo-labeled texts per class for each labeled example of the median class, so classes stay balanced."""
    lora_r: int = 8
    """LoRA rank (with --method lora)."""
    lora_alpha: int = 16
    """LoRA scaling numerator (with --method lora)."""
    lora_dropout: float = 0.1
    """Dropout on the LoRA path (with --method lora)."""
    label_words: str | None = None
    """Prompt-based fine-tuning of a decoder (LM-BFF): LABEL=WORD,... one word per label, e.g. '0=negative,1=positive'. Each text is wrapped in --prompt-template by the saved tokenizer and the new head starts from the language model's scores of these words (its zero-shot prompt classifier)."""
    prompt_template: str | None = None
    """With --label-words: the prompt around each text, with {input} where the text goes (default: '{input}\\nAnswer:')."""
    class_weights: Literal["none", "balanced"] = "none"
    """'balanced' weights the loss by inverse class frequency (for imbalanced data)."""
    batch_size: int = 16
    """Examples per optimizer step."""
    eval_batch_size: int = 128
    """Examples per forward pass when evaluating or predicting."""
    weight_decay: float = 0.01
    """AdamW weight decay (not applied to biases and LayerNorm)."""
    warmup_ratio: float = 0.1
    """Share of steps with linearly rising learning rate before linear decay."""
    max_length: int = 128
    """Tokens per text; longer texts are truncated (reported)."""
    patience: int = 2
    """Stop after this many evaluations without improvement of the validation metric."""
    metric: Literal["accuracy", "macro_f1"] = "accuracy"
    """Validation metric that selects the best epoch: 'accuracy' or 'macro_f1'."""
    seed: int = 42
    """Seed of weight initialisation, batch order and dropout."""
    seeds: int = 1
    """Train this many times (seeds seed, seed+1, ...), report mean ± std, keep the run best on validation."""
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    """'auto' (bf16 autocast where the CPU/GPU supports it natively), 'fp32' or 'bf16'."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm (0 disables)."""

    def resolved_learning_rate(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return {"head": 2e-3, "lora": 5e-4, "contrastive": 2e-5}.get(self.method, 5e-5)

    def resolved_head_learning_rate(self) -> float:
        if self.head_learning_rate is not None:
            return self.head_learning_rate
        if self.label_words or (self.head_init == "probe" and self.method == "full"):
            return self.resolved_learning_rate()  # the head starts from the language model's own scores or a fitted probe, not at random
        return self.resolved_learning_rate() * {"head": 1, "lora": 4}.get(self.method, 20)

    def validate(self) -> None:
        """Collect every invalid option, then raise once."""
        problems = []
        if self.method not in METHODS:
            problems.append(f"--method must be one of {', '.join(METHODS)}; got '{self.method}'.")
        if self.precision not in PRECISIONS:
            problems.append(f"--precision must be one of {', '.join(PRECISIONS)}; got '{self.precision}'.")
        if self.metric not in METRICS:
            problems.append(f"--metric must be one of {', '.join(METRICS)}; got '{self.metric}'.")
        for name in ("epochs", "batch_size", "eval_batch_size", "max_length", "seeds"):
            if getattr(self, name) < 1:
                problems.append(f"--{name.replace('_', '-')} must be at least 1; got {getattr(self, name)}.")
        for name in ("learning_rate", "head_learning_rate"):
            value = getattr(self, name)
            if value is not None and not 0 < value < 1:
                problems.append(f"--{name.replace('_', '-')} must be between 0 and 1; got {value}.")
        if not 0 < self.layer_decay <= 1:
            problems.append(f"--layer-decay must be in (0, 1]; got {self.layer_decay}.")
        if self.gradual_unfreeze < 0:
            problems.append(f"--gradual-unfreeze must be 0 (off) or a number of epochs per layer; got {self.gradual_unfreeze}.")
        elif self.gradual_unfreeze and self.method in ("head", "contrastive"):
            problems.append(f"--gradual-unfreeze needs an encoder that trains: use --method full or lora (got --method {self.method}, which {'never trains the encoder' if self.method == 'head' else 'tunes the encoder on pairs before its head exists'}).")
        elif self.gradual_unfreeze >= self.epochs > 0:
            problems.append(f"--gradual-unfreeze {self.gradual_unfreeze} with --epochs {self.epochs} would train only the head; use fewer epochs per layer or more --epochs.")
        if self.contrastive_passes is not None and self.contrastive_passes < 1:
            problems.append(f"--contrastive-passes must be at least 1; got {self.contrastive_passes}.")
        if not 0 <= self.contrastive_token_deletion < 1:
            problems.append(f"--contrastive-token-deletion must be in [0, 1) (a probability; 0 turns it off); got {self.contrastive_token_deletion}.")
        if self.contrastive_end_to_end < 0:
            problems.append(f"--contrastive-end-to-end must be 0 (off) or more epochs; got {self.contrastive_end_to_end}.")
        elif self.contrastive_end_to_end and self.method not in ("auto", "contrastive"):
            problems.append(f"--contrastive-end-to-end follows the contrastive stage; it does nothing with --method {self.method}. Use --method contrastive, or --epochs for cross-entropy fine-tuning.")
        if not 0 < self.pseudo_label_threshold < 1:
            problems.append(f"--pseudo-label-threshold must be between 0 and 1 (a probability); got {self.pseudo_label_threshold}.")
        if self.pseudo_label_ratio < 1:
            problems.append(f"--pseudo-label-ratio must be at least 1; got {self.pseudo_label_ratio}.")
        if self.lora_r < 1:
            problems.append(f"--lora-r must be at least 1; got {self.lora_r}.")
        if not 0 <= self.lora_dropout < 1:
            problems.append(f"--lora-dropout must be in [0, 1); got {self.lora_dropout}.")
        if not 0 <= self.warmup_ratio < 1:
            problems.append(f"--warmup-ratio must be in [0, 1); got {self.warmup_ratio}.")
        if self.patience < 0:
            problems.append(f"--patience must be 0 or more; got {self.patience}.")
        if self.head_init not in HEAD_INITS:
            problems.append(f"--head-init must be one of {', '.join(HEAD_INITS)}; got '{self.head_init}'.")
        elif self.head_init == "probe" and self.method not in ("auto", "full"):
            problems.append(f"--head-init probe starts full fine-tuning from a fitted head; with --method {self.method} use --head-init random ({'the contrastive method fits its own head' if self.method == 'contrastive' else 'only --method full (or auto choosing it) uses it'}).")
        elif self.head_init == "probe" and self.label_words:
            problems.append("--head-init probe and --label-words both set how the head starts; pick one.")
        if self.label_words and self.method in ("contrastive", "head"):
            problems.append(f"--label-words (prompt-based fine-tuning) trains through the prompt; use --method full or lora, not {self.method}.")
        if problems:
            raise ConfigError("invalid training options:\n  " + "\n  ".join(problems))

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}
