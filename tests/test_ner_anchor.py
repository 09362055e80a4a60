"""benchmarks/ner.py's run_ner.py anchor: first-sub-word labels in training, and tags read back at the same positions."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from ner import first_subword_labels, first_subword_tags  # noqa: E402

from headstart.evaluation.entities import entity_metrics  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "new", "york", "##er", "##s", "bank", "met", "in"]
LABELS = ["B-LOC", "B-PER", "I-LOC", "O"]


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import BertTokenizer

    return BertTokenizer(vocab={token: i for i, token in enumerate(VOCAB)})


def test_only_the_first_sub_word_of_each_word_is_labelled(tokenizer):
    words, tags = ["yorkers", "met", "new", "york"], ["B-PER", "O", "B-LOC", "I-LOC"]
    encoded = tokenizer([words], is_split_into_words=True)
    assert encoded.tokens(0) == ["[CLS]", "york", "##er", "##s", "met", "new", "york", "[SEP]"]
    assert first_subword_labels(encoded.word_ids(0), tags, {name: i for i, name in enumerate(LABELS)}) == [-100, 1, -100, -100, 3, 0, 2, -100]


def test_tags_are_read_at_first_sub_words_and_cut_words_count_as_outside(tokenizer):
    sentences = [["met", "yorkers"], ["bank", "in", "met", "new", "york"]]
    gold = [["O", "B-PER"], ["O", "O", "O", "B-LOC", "I-LOC"]]
    index = {name: i for i, name in enumerate(LABELS)}
    encoded = tokenizer(sentences, is_split_into_words=True, truncation=True, max_length=6)  # cuts the second sentence's "york"
    # Perfect logits at labelled positions; later sub-words say B-PER, which must never be read.
    predicted = []
    for i, tags in enumerate(gold):
        labels = first_subword_labels(encoded.word_ids(i), tags, index)
        logits = np.zeros((len(labels), len(LABELS)))
        logits[:, index["B-PER"]] = 0.5
        for position, label in enumerate(labels):
            if label != -100:
                logits[position, label] = 1.0
        predicted.append(first_subword_tags(encoded.word_ids(i), logits, LABELS, len(tags)))
    assert predicted == [gold[0], ["O", "O", "O", "B-LOC", "O"]]
    # The cut entity is one miss for the anchor, scored by headstart's own entity F1.
    scores = entity_metrics(gold, predicted)
    assert (scores["n_entities"], scores["n_predicted"]) == (2, 2) and scores["f1"] == pytest.approx(1 / 2)
