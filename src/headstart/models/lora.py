"""LoRA through peft, with the new classification head saved beside the adapter.

peft's well-known pitfall (peft #310, #577) is an adapter saved without the
freshly initialised head, which then reloads random. headstart always lists the
head (and the pooler) in ``modules_to_save`` and checks the reload in tests.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from headstart.errors import ConfigError

HEAD_MODULES = ("classifier", "score", "pooler")


def apply_lora(model: nn.Module, r: int, alpha: int, dropout: float) -> nn.Module:
    """Wrap ``model`` with LoRA adapters on its attention projections; the head trains fully."""
    from peft import LoraConfig, TaskType, get_peft_model

    present = {name.split(".")[-1] for name, _ in model.named_modules()}
    modules_to_save = [m for m in HEAD_MODULES if m in present]
    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=r, lora_alpha=alpha, lora_dropout=dropout, modules_to_save=modules_to_save)
    try:
        return get_peft_model(model, config)
    except ValueError as err:
        raise ConfigError(f"--method lora does not know which layers of {type(model).__name__} to adapt ({err}). Use --method full or head.") from None


def merge_lora(model: nn.Module) -> nn.Module:
    """A plain transformers model with the adapters folded into the weights."""
    return model.merge_and_unload()


def load_lora(model: nn.Module, folder: Path) -> nn.Module:
    """Attach a saved adapter (with its head) to a freshly built base classifier."""
    from peft import PeftModel

    return PeftModel.from_pretrained(model, str(folder), is_trainable=False)
