"""Confident learning: thresholds, the confident joint and ranking, on hand-made probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from headstart.audit.label_errors import confident_learning, out_of_fold_probabilities, precision_recall_at_k
from headstart.errors import DataError


def test_thresholds_joint_and_ranking():
    labels = np.array([0, 0, 0, 1, 1, 1])
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    issues = confident_learning(probs, labels)
    # t_0 = mean(0.9, 0.8, 0.1) = 0.6; t_1 = mean(0.8, 0.7, 0.4) = 0.6333
    assert np.allclose(issues.thresholds, [0.6, 1.9 / 3])
    assert issues.flagged.tolist() == [False, False, True, False, False, True]
    assert issues.confident_joint.tolist() == [[2, 1], [1, 2]]
    assert issues.ranking[:2].tolist() == [2, 5]  # margins 0.8 and 0.2
    assert issues.suggested[2] == 1 and issues.margin[2] == pytest.approx(0.8)


def test_precision_recall_at_k():
    assert precision_recall_at_k(np.array([4, 1, 2, 3]), {1, 3}, 2) == (0.5, 0.5)


def test_out_of_fold_finds_planted_flips():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 40)
    features = rng.normal(size=(120, 5)) + np.eye(3, 5)[labels] * 4
    noisy = labels.copy()
    flipped = [3, 50, 100, 110]
    noisy[flipped] = (noisy[flipped] + 1) % 3
    probs = out_of_fold_probabilities(features, noisy, 3, folds=5, seed=0)
    assert probs.shape == (120, 3) and np.allclose(probs.sum(1), 1)
    issues = confident_learning(probs, noisy)
    assert set(issues.ranking[:4].tolist()) == set(flipped)


def test_single_example_class_is_a_clear_error():
    with pytest.raises(DataError, match="at least 2 examples of every class"):
        out_of_fold_probabilities(np.zeros((5, 2)), np.array([0, 0, 0, 0, 1]), 2)


@pytest.mark.integration
def test_sst2_flipped_labels_are_found_with_minilm_embeddings():
    """Benchmark setting on 400 SST-2 rows (20 flipped): the finder puts most flips in its top 10%."""
    import sys
    import tempfile
    from pathlib import Path

    from conftest import shared
    from headstart.audit.data_audit import AuditDataOptions, audit_data

    source = shared("sst2_glue") / "train.tsv"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from label_errors import flipped_copy

    with tempfile.TemporaryDirectory() as tmp:
        head = Path(tmp) / "head.tsv"
        head.write_text("".join(source.read_text(encoding="utf-8").splitlines(keepends=True)[:401]), encoding="utf-8")
        noisy = Path(tmp) / "train.tsv"
        flipped = flipped_copy(head, noisy, 0.05, seed=0)
        result = audit_data(AuditDataOptions(data=str(noisy), folds=5, label_errors=True), log=lambda m: None)
    _, recall = precision_recall_at_k(result.label_ranking, flipped, 40)
    assert len(flipped) == 20 and recall >= 0.5
