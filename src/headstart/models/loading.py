"""Load tokenizers and models from resolved base locations, offline and quietly."""

from __future__ import annotations

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
