"""Load a base as a masked LM (adding a head tied to the input embeddings when it has none) and save it as a base."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.errors import ModelNotFoundError
from headstart.models.loading import hub_kwargs, quiet_transformers

SENTENCE_TRANSFORMERS_FILES = ("1_Pooling", "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json")
"""Kept beside an adapted sentence-transformers base, so fine-tuning still reads it by mean pooling."""


def load_masked_lm(base: ResolvedBase) -> tuple[nn.Module, bool]:
    """(masked-LM model, whether the base had its own MLM head).

    A base without a head (an encoder such as all-MiniLM-L6-v2) gets a freshly
    initialised one whose output projection is tied to the input embeddings.
    """
    from transformers import AutoModelForMaskedLM

    quiet_transformers()
    if base.entry is not None and base.entry.kind != "encoder":
        raise ModelNotFoundError(f"'{base.name}' is a {base.entry.kind} model; masked-LM adaptation needs an encoder such as minilm-l6 or bert-tiny-mlm.")
    try:
        model, info = AutoModelForMaskedLM.from_pretrained(base.location, output_loading_info=True, **hub_kwargs(base))
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"could not load {base.location} as a masked language model ({err}). Adaptation needs a BERT-style encoder.") from None
    missing = {key for key in info["missing_keys"] if not key.endswith("decoder.weight")}
    had_head = not missing
    if not had_head:
        model.config.tie_word_embeddings = True
        model.tie_weights()
    output = model.get_output_embeddings()
    if not had_head and (output is None or output.weight is not model.get_input_embeddings().weight):
        raise ModelNotFoundError(f"{type(model).__name__} from {base.location}: could not tie a new MLM head to the input embeddings.")
    return model, had_head


def _pooler_tensors(location: str, prefix: str) -> dict[str, torch.Tensor]:
    """The base's pooler weights, which ``*ForMaskedLM`` drops but sequence classifiers read."""
    from safetensors import safe_open

    path = Path(location) / "model.safetensors"
    if not path.is_file():
        return {}
    out = {}
    with safe_open(str(path), framework="pt") as handle:
        for key in handle.keys():
            if ".pooler." in f".{key}":
                name = key if key.startswith(prefix + ".") else f"{prefix}.{key}"
                out[name] = handle.get_tensor(key)
    return out


def save_base_folder(model: nn.Module, tokenizer, base_location: str, folder: Path) -> None:
    """Write ``model`` as a Hugging Face folder that ``headstart train --base`` accepts."""
    from safetensors.torch import load_file, save_file

    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    pooler = _pooler_tensors(base_location, model.base_model_prefix)
    weights = folder / "model.safetensors"
    if pooler and weights.is_file():
        tensors = load_file(str(weights))
        tensors.update({k: v.contiguous() for k, v in pooler.items() if k not in tensors})
        save_file(tensors, str(weights), metadata={"format": "pt"})
    for name in SENTENCE_TRANSFORMERS_FILES:
        source = Path(base_location) / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        elif source.is_file():
            shutil.copy2(source, folder / name)


def architecture_summary(model: nn.Module) -> dict:
    config = model.config
    return {
        "model_type": config.model_type,
        "layers": getattr(config, "num_hidden_layers", None),
        "hidden": getattr(config, "hidden_size", None),
        "vocab_size": getattr(config, "vocab_size", None),
        "parameters": sum(p.numel() for p in model.parameters()),
    }

