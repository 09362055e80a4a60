"""Text generators: decoder-only (causal LM) and encoder-decoder (seq2seq) models, with optional LoRA.

A GGUF base (``smollm2-135m``) is dequantized by transformers on load, but the
model keeps a GGUF ``quantization_config`` that makes ``save_pretrained`` refuse
it; the weights are therefore moved into a fresh model built from the same
config without it, so every generator can be trained, saved and merged alike.
"""

from __future__ import annotations

from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.errors import ConfigError, ModelNotFoundError
from headstart.models.loading import hub_kwargs, quiet_transformers, without_gguf

DECODER, SEQ2SEQ = "decoder", "seq2seq"


def generator_kind(base: ResolvedBase) -> str:
    """'decoder' or 'seq2seq' from the base's config; encoders cannot generate."""
    from transformers import AutoConfig

    if base.entry is not None and base.entry.kind == "decoder":
        return DECODER
    quiet_transformers()
    try:
        config = AutoConfig.from_pretrained(base.location, **hub_kwargs(base))
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"could not read the model config in {base.location} ({err}).") from None
    if getattr(config, "is_encoder_decoder", False):
        return SEQ2SEQ
    architectures = " ".join(config.architectures or [])
    if "CausalLM" in architectures or "LMHeadModel" in architectures:
        return DECODER
    raise ConfigError(
        f"--task text2text needs a model that generates text (a decoder such as smollm2-135m, or a T5/BART seq2seq model); "
        f"'{base.name}' is a {config.model_type} model with architectures {config.architectures or 'unknown'}. "
        "Pass --base smollm2-135m or a local seq2seq model folder."
    )


def load_generator(base: ResolvedBase, kind: str) -> nn.Module:
    """The base model with its language-modeling head, ready to train or generate."""
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    quiet_transformers()
    auto = AutoModelForCausalLM if kind == DECODER else AutoModelForSeq2SeqLM
    try:
        model = auto.from_pretrained(base.location, **hub_kwargs(base))
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"could not load a {kind} model from {base.location} ({err}).") from None
    return without_gguf(model) if base.gguf_file else model


def apply_generation_lora(model: nn.Module, kind: str, r: int, alpha: int, dropout: float) -> nn.Module:
    """LoRA adapters on the attention projections (peft's defaults per architecture: q/v)."""
    from peft import LoraConfig, TaskType, get_peft_model

    task = TaskType.CAUSAL_LM if kind == DECODER else TaskType.SEQ_2_SEQ_LM
    try:
        return get_peft_model(model, LoraConfig(task_type=task, r=r, lora_alpha=alpha, lora_dropout=dropout))
    except ValueError as err:
        raise ConfigError(f"--method lora does not know which layers of {type(model).__name__} to adapt ({err}). Use --method full.") from None


def load_generation_adapter(model: nn.Module, folder) -> nn.Module:
    """Attach a saved generation adapter to its freshly loaded base."""
    from peft import PeftModel

    return PeftModel.from_pretrained(model, str(folder), is_trainable=False)
