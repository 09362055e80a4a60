"""A sequence classifier: the base encoder with its output layer replaced by a new head."""

from __future__ import annotations

import re

from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.errors import ConfigError, ModelNotFoundError
from headstart.models.loading import hub_kwargs, quiet_transformers, without_gguf
from headstart.models.pooling import add_mean_pooling_layer, base_uses_mean_pooling, supports_mean_pooling_layer

NO_DECAY = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")


def build_classifier(base: ResolvedBase, label_names: list[str], problem_type: str = "single_label_classification", pooling: str = "auto") -> nn.Module:
    """Load ``base`` with a freshly initialised classification head for ``label_names``.

    Label names are stored in the config (id2label/label2id) so the saved model is
    self-describing for plain ``transformers.pipeline``.
    """
    from transformers import AutoModelForSequenceClassification

    quiet_transformers()
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            base.location,
            num_labels=len(label_names),
            id2label=dict(enumerate(label_names)),
            label2id={name: i for i, name in enumerate(label_names)},
            problem_type=problem_type,
            # A base that is itself a classifier (an earlier run) has a head of another size: replace it.
            ignore_mismatched_sizes=True,
            **hub_kwargs(base),
        )
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"could not load a classification model from {base.location} ({err}).") from None
    if base.gguf_file:
        model = without_gguf(model)
    if pooling == "mean" or (pooling == "auto" and base_uses_mean_pooling(base.location)):
        if not supports_mean_pooling_layer(model):
            raise ConfigError(f"--pooling mean needs a BERT-style encoder; {type(model).__name__} is not one. Use --pooling cls.")
        add_mean_pooling_layer(model)
    return model


PEFT_PREFIX = "base_model.model."
"""Where peft's PeftModel puts the wrapped model's parameter names."""


def head_parameter_names(model: nn.Module) -> set[str]:
    """Parameters that belong to the task head: outside the base model, plus the pooler."""
    prefix = getattr(model, "base_model_prefix", "")
    names = set()
    for name, _ in model.named_parameters():
        # peft wraps the model: its names start with "base_model.model." before the model's own.
        own = name.removeprefix(PEFT_PREFIX)
        if not own.startswith(prefix + ".") or ".pooler." in own:
            names.add(name)
    return names


def layer_depth(name: str, n_layers: int) -> int:
    """Distance of a parameter's layer from the top of the encoder (embeddings are deepest)."""
    match = re.search(r"\.layers?\.(\d+)\.", name)
    if match:
        return n_layers - 1 - int(match.group(1))
    return n_layers if "embed" in name else 0


def parameter_groups(model: nn.Module, method: str, lr: float, head_lr: float, weight_decay: float, layer_decay: float = 1.0) -> list[dict]:
    """Optimizer groups for ``method``; freezes what does not train.

    'full': every weight trains, the new head at ``head_lr`` and encoder layers at
    ``lr * layer_decay ** depth`` (discriminative rates). 'head': the encoder is
    frozen. 'lora': only parameters that still require grad (adapters, head) train.
    Encoder groups name their layer (``layer``: 'layer 5', 'embeddings'; ``depth``:
    0 at the top), so the loop can unfreeze them gradually; head groups have neither.
    """
    head = head_parameter_names(model)
    encoder = getattr(model, "base_model_prefix", "") + "."
    n_layers = int(getattr(model.config, "num_hidden_layers", 0) or 0)
    groups: dict[tuple[int | None, float, bool], list] = {}
    for name, param in model.named_parameters():
        is_head = name in head or "modules_to_save" in name
        if method == "head" and not is_head:
            param.requires_grad_(False)
        if not param.requires_grad:
            continue
        decay = not any(name.endswith(suffix) for suffix in NO_DECAY)
        # peft prefixes every name (base_model.model.bert...): LoRA adapters are found in their encoder layer all the same.
        in_encoder = (name.startswith(encoder) or "." + encoder in name) and ".pooler." not in name and "modules_to_save" not in name
        depth = layer_depth(name, n_layers) if in_encoder else None
        rate = head_lr if is_head else lr * layer_decay**depth
        groups.setdefault((depth, rate, decay), []).append(param)
    return [
        {"params": params, "lr": rate, "weight_decay": weight_decay if decay else 0.0, **({} if depth is None else {"layer": layer_label(depth, n_layers), "depth": depth})}
        for (depth, rate, decay), params in groups.items()
    ]


def layer_label(depth: int, n_layers: int) -> str:
    """The name of the encoder layer group at ``depth`` (see :func:`layer_depth`)."""
    if n_layers == 0:
        return "encoder"
    return "embeddings" if depth >= n_layers else f"layer {n_layers - 1 - depth}"


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total
