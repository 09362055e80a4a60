"""Word-piece deletion in the contrastive stage: what it removes, what it never touches, and that it reaches training."""

from __future__ import annotations

import random

import pytest
import torch

from headstart.errors import ConfigError
from headstart.training.augment import MAX_PER_CLASS, MIN_PIECES, TokenDeletion, deletion_for
from headstart.training.batching import Collator, Encoded
from headstart.training.config import TrainConfig

CLS, SEP, PAD = 101, 102, 0


def text(pieces: int, start: int = 1000) -> list[int]:
    return [CLS, *range(start, start + pieces), SEP]


def test_long_texts_lose_about_the_rate_and_keep_special_tokens_and_order():
    deletion = TokenDeletion(0.15, [CLS, SEP, PAD], seed=0)
    ids = text(100)
    outs = [deletion(ids) for _ in range(200)]
    for out in outs:
        assert out[0] == CLS and out[-1] == SEP
        assert set(out) <= set(ids)
        assert [t for t in out if t not in (CLS, SEP)] == sorted(t for t in out if t not in (CLS, SEP))  # order kept
    removed = sum(len(ids) - len(out) for out in outs) / (200 * 100)
    assert 0.13 < removed < 0.17
    assert len({tuple(out) for out in outs}) > 190  # a different copy nearly every time


def test_short_texts_and_rate_zero_are_never_altered():
    deletion = TokenDeletion(0.5, [CLS, SEP], seed=0)
    short = text(MIN_PIECES - 1)
    assert all(deletion(short) == short for _ in range(50))
    assert not deletion.applies_to(short) and deletion.applies_to(text(MIN_PIECES))
    off = TokenDeletion(0.0, [CLS, SEP], seed=0)
    assert off(text(80)) == text(80) and not off.applies_to(text(80))


def test_deletion_is_reproducible_from_its_seed_and_never_empties_a_text():
    a, b, c = (TokenDeletion(0.3, [CLS, SEP], seed=s) for s in (7, 7, 8))
    ids = text(40)
    first, second, third = ([d(ids) for _ in range(20)] for d in (a, b, c))
    assert first == second and first != third
    greedy = TokenDeletion(0.999, [CLS, SEP], seed=0, min_pieces=1)
    for _ in range(100):
        out = greedy(text(3))
        assert len(out) >= 3 and out[0] == CLS and out[-1] == SEP


def test_collator_applies_the_augmentation_per_batch_and_refuses_pairs():
    rows = [text(30, 1000), text(30, 2000)]
    collate = Collator(Encoded(rows, [0, 1]), PAD, augment=TokenDeletion(0.3, [CLS, SEP, PAD], seed=0))
    batch = collate([0, 1])
    assert batch["input_ids"].shape[1] < 32  # both rows lost pieces, so the padded width shrank
    assert torch.equal(batch["attention_mask"].sum(1), (batch["input_ids"] != PAD).sum(1))
    assert batch["labels"].tolist() == [0, 1]
    assert not torch.equal(collate([0, 1])["input_ids"], batch["input_ids"])  # a fresh copy each time
    with pytest.raises(ValueError, match="single texts"):
        Collator(Encoded(rows, [0, 1], [[0] * 32, [0] * 32]), PAD, augment=lambda ids: ids)


def test_runs_of_mostly_short_texts_use_no_deletion():
    mostly_short = [text(10)] * 5 + [text(60)] * 4
    assert deletion_for(mostly_short, [0, 1] * 4 + [0], 0.15, [CLS, SEP], seed=0)[0] is None
    deletion, why = deletion_for(mostly_short + [text(30)] * 2, [0, 1] * 5 + [0], 0.15, [CLS, SEP], seed=0)
    assert deletion is not None and "6 of 11 texts have 24+ word pieces" in why
    assert deletion(text(10)) == text(10)  # a short text in a long-text run is still left whole
    assert deletion_for([text(60)] * 3, [0, 1, 0], 0.0, [CLS, SEP], seed=0) == (None, "word-piece deletion off (--contrastive-token-deletion 0)")


def test_runs_with_many_examples_per_class_use_no_deletion():
    few = [0, 1, 2] * MAX_PER_CLASS
    assert deletion_for([text(40)] * len(few), few, 0.3, [CLS, SEP], seed=0)[0] is not None
    many = few + [0, 1, 2]  # the median class now has MAX_PER_CLASS + 1 examples
    deletion, why = deletion_for([text(40)] * len(many), many, 0.3, [CLS, SEP], seed=0)
    assert deletion is None and f"the median class has {MAX_PER_CLASS + 1} labeled examples, more than {MAX_PER_CLASS}" in why


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_config_refuses_rates_outside_zero_to_one(rate):
    with pytest.raises(ConfigError, match="--contrastive-token-deletion must be in \\[0, 1\\)"):
        TrainConfig(contrastive_token_deletion=rate).validate()


def contrastive_weights(tiny_base, texts: list[str], labels: list[str], rate: float, log: list[str], stages: dict | None = None) -> dict[str, torch.Tensor]:
    from headstart.catalog.resolve import resolve_base
    from headstart.data.classification import ClassificationData, LabeledTexts
    from headstart.tasks.contrastive import train_contrastive

    split = LabeledTexts(texts, labels, [f"row:{i}" for i in range(len(texts))], "train")
    data = ClassificationData(split, split.subset(list(range(len(split))), "validation"), None, sorted(set(labels)))
    config = TrainConfig(method="contrastive", contrastive_passes=4, contrastive_token_deletion=rate, learning_rate=1e-3, precision="fp32", seed=0)
    trained = train_contrastive(data, resolve_base(str(tiny_base)), config, log=log.append)
    if stages is not None:
        stages.update(trained.stages)
    return {k: v.detach().clone() for k, v in trained.model.state_dict().items()}


WORDS = ["the", "film", "movie", "story", "acting", "was", "is", "really", "so", "very", "it", "a"]


def reviews(words_each: int) -> tuple[list[str], list[str]]:
    rng = random.Random(0)
    texts = [" ".join(rng.choice(WORDS) for _ in range(words_each - 1)) + (" delightful" if i % 2 else " terrible") for i in range(16)]
    return texts, ["positive" if i % 2 else "negative" for i in range(16)]


def test_deletion_reaches_training_on_long_texts_only(tiny_base):
    long_texts, labels = reviews(40)
    logs: list[str] = []
    stages: dict = {}
    with_deletion = contrastive_weights(tiny_base, long_texts, labels, 0.15, logs, stages)
    assert stages["contrastive"]["token_deletion"] == {"on": True, "rate": 0.15, "reason": logs[0].removeprefix("contrastive: ")}
    without = contrastive_weights(tiny_base, long_texts, labels, 0.0, logs, stages)
    assert stages["contrastive"]["token_deletion"]["on"] is False
    assert any("word-piece deletion on: 16 of 16 texts have 24+ word pieces" in line for line in logs)
    assert any(not torch.equal(with_deletion[k], without[k]) for k in without)
    short_texts, labels = reviews(8)
    logs = []
    short_with = contrastive_weights(tiny_base, short_texts, labels, 0.15, logs)
    short_without = contrastive_weights(tiny_base, short_texts, labels, 0.0, logs)
    assert any("word-piece deletion off: the median training text has 8 word pieces" in line for line in logs)
    assert all(torch.equal(short_with[k], short_without[k]) for k in short_without)  # short texts are never altered
