"""Baselines without pre-training, for learning curves: TF-IDF + logistic regression, and a random-init base.

The random-init base is the chosen base's architecture (its config) and tokenizer
with freshly initialised weights, written as an ordinary model folder so it
trains through the same classifier path and loop as the pre-trained base.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from headstart.catalog.resolve import ResolvedBase
from headstart.errors import ConfigError, ModelNotFoundError
from headstart.models.loading import hub_kwargs, quiet_transformers

TFIDF_C_GRID = (0.1, 1.0, 10.0, 100.0)
"""Inverse regularisation strengths tried; the best on the sample's validation part is refitted on the whole sample."""
WEIGHT_FILES = ("*.safetensors", "*.bin", "*.pt", "*.pth", "*.h5", "*.msgpack", "*.ot", "*.onnx", "*.gguf", "onnx", "openvino")


def tfidf_logistic_regression(train_texts: list[str], train_labels: list[int], validation_texts: list[str], validation_labels: list[int], seed: int = 0):
    """Word 1-2-gram TF-IDF + logistic regression; C picked on validation, then refitted on train + validation.

    Returns a fitted scikit-learn pipeline (``predict(texts)``) and the chosen C.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def build(c: float):
        return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1), LogisticRegression(C=c, max_iter=2000, random_state=seed))

    best_c = TFIDF_C_GRID[1]
    if validation_texts and len(set(train_labels)) > 1:
        scores = []
        for c in TFIDF_C_GRID:
            model = build(c).fit(train_texts, train_labels)
            scores.append((float(np.mean(model.predict(validation_texts) == np.asarray(validation_labels))), -abs(np.log10(c)), c))
        best_c = max(scores)[2]
    texts, labels = list(train_texts) + list(validation_texts), list(train_labels) + list(validation_labels)
    return build(best_c).fit(texts, labels), best_c


def random_init_base(base: ResolvedBase, folder: Path, seed: int) -> ResolvedBase:
    """Write ``base``'s architecture and tokenizer with random weights (seeded) into ``folder``.

    Everything but the weights is copied (config, tokenizer, sentence-transformers
    pooling settings), so the classifier built on it has the same shape and pooling.
    """
    import torch
    from transformers import AutoConfig, AutoModel

    if not base.is_local or base.gguf_file:
        raise ConfigError(f"the from-scratch baseline needs a local transformers model folder as --base; '{base.name}' is {'a GGUF file' if base.gguf_file else 'a hub id'}.")
    quiet_transformers()
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(base.location, folder, ignore=shutil.ignore_patterns(*WEIGHT_FILES))
    try:
        config = AutoConfig.from_pretrained(base.location, **hub_kwargs(base))
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"could not read the model config in {base.location} ({err}).") from None
    torch.manual_seed(seed)
    AutoModel.from_config(config).save_pretrained(folder, safe_serialization=True)
    return ResolvedBase(f"{base.name} (random init, seed {seed})", str(folder), None)
