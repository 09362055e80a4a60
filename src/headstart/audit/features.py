"""Cheap text features for audits: TF-IDF (frozen-encoder embeddings are ``tasks.inference.embed_texts``)."""

from __future__ import annotations


def tfidf_features(texts: list[str]):
    """Sparse word 1-2-gram plus character 2-5-gram TF-IDF features (fitted on ``texts`` without labels)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1).fit_transform(texts)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2 if len(texts) > 50 else 1).fit_transform(texts)
    return hstack([words, chars]).tocsr()
