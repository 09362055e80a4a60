"""Load tokenizers and models from resolved base locations, offline and quietly."""

from __future__ import annotations

import contextlib
import os

from headstart.catalog.resolve import ResolvedBase
from headstart.errors import ModelNotFoundError


def quiet_transformers() -> None:
    """headstart reports what it loads itself; transformers' load reports and bars are noise here."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def hub_kwargs(base: ResolvedBase) -> dict:
    """Arguments that keep transformers offline unless the user allowed a download."""
    kwargs: dict = {"local_files_only": base.is_local, "trust_remote_code": False}
    if base.gguf_file:
        kwargs["gguf_file"] = base.gguf_file
    return kwargs


def load_tokenizer(base: ResolvedBase):
    from transformers import AutoTokenizer

    quiet_transformers()
    try:
        return AutoTokenizer.from_pretrained(base.location, **hub_kwargs(base))
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"could not load a tokenizer from {base.location} ({err}). Is it a complete Hugging Face model folder?") from None


def _skip_initialisation():
    """Random initialisation of weights about to be overwritten is wasted time (seconds for 135M on a CPU)."""
    try:
        from transformers.initialization import no_init_weights
    except ImportError:  # older 5.x releases
        return contextlib.nullcontext()
    return no_init_weights()


def without_gguf(model):
    """The same weights in a model of the same class whose config has no GGUF quantization_config.

    transformers dequantizes a GGUF base on load but keeps the quantization_config,
    and then refuses ``save_pretrained``; a fresh model without it saves like any other.
    """
    config = model.config
    if getattr(config, "quantization_config", None) is None:
        return model
    del config.quantization_config
    with _skip_initialisation():
        fresh = type(model)._from_config(config)
    fresh.load_state_dict(model.state_dict())
    # Skipping initialisation also skips tying; re-tie so a tied head stays one tensor (as in the GGUF model).
    fresh.tie_weights()
    if getattr(model, "generation_config", None) is not None:
        fresh.generation_config = model.generation_config
    return fresh
