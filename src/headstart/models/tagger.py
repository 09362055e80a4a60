"""A token classifier: the base encoder with a new per-token output layer (one logit per BIO tag)."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from headstart.catalog.resolve import ResolvedBase
from headstart.errors import ModelNotFoundError, RunDirError
from headstart.models.loading import hub_kwargs, quiet_transformers


def build_tagger(base: ResolvedBase, tag_names: list[str]) -> nn.Module:
    """Load ``base`` with a freshly initialised token-classification head for ``tag_names``.

    The tag names go into the config (id2label/label2id), so the saved model works
    with plain ``transformers.pipeline("token-classification")``.
    """
    from transformers import AutoModelForTokenClassification

    quiet_transformers()
    try:
        return AutoModelForTokenClassification.from_pretrained(
            base.location,
            num_labels=len(tag_names),
            id2label=dict(enumerate(tag_names)),
            label2id={name: i for i, name in enumerate(tag_names)},
            # A base that already has a head (an earlier run) gets a new one of the right size.
            ignore_mismatched_sizes=True,
            **hub_kwargs(base),
        )
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"could not load a token-classification model from {base.location} ({err}).") from None


def load_tagger(folder: Path) -> tuple[nn.Module, object]:
    """Model and tokenizer of a finished token-classification run (safetensors only, no remote code)."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    quiet_transformers()
    try:
        model = AutoModelForTokenClassification.from_pretrained(folder, local_files_only=True, trust_remote_code=False, use_safetensors=True)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError) as err:
        raise RunDirError(f"{folder}: could not load the token-classification model ({err}). Is the run complete?") from None
    model.eval()
    return model, tokenizer
