"""The benchmark's variants (benchmarks/contrastive_variants.py) do what BENCHMARKS.md says they do."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from contrastive_variants import use_piece_masking, use_sam, use_whole_words  # noqa: E402

import headstart.tasks.contrastive as contrastive  # noqa: E402
import headstart.training.augment as augment  # noqa: E402


def _toy(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))


def test_sam_step_returns_the_gradient_at_the_moved_weights_and_restores_them(monkeypatch):
    rho, x = 0.05, torch.randn(8, 5, generator=torch.Generator().manual_seed(1))
    monkeypatch.setattr(contrastive, "contrastive_step", lambda model, batch: (model(batch["x"]) ** 2).mean())
    use_sam(rho)
    model = _toy(0)
    before = [p.detach().clone() for p in model.parameters()]
    loss = contrastive.contrastive_step(model, {"x": x})
    loss.backward()
    assert all(torch.equal(p, w) for p, w in zip(model.parameters(), before))

    # by hand: the gradient g at w, the weights moved to w + rho g / ||g||, the loss and its gradient there
    reference = _toy(0)
    g = torch.autograd.grad((reference(x) ** 2).mean(), list(reference.parameters()))
    norm = torch.sqrt(sum((t**2).sum() for t in g))
    with torch.no_grad():
        for p, t in zip(reference.parameters(), g):
            p.add_(t * rho / norm)
    moved_loss = (reference(x) ** 2).mean()
    moved_grad = torch.autograd.grad(moved_loss, list(reference.parameters()))
    assert float(loss.detach()) == float(moved_loss.detach())
    for p, expected in zip(model.parameters(), moved_grad):
        torch.testing.assert_close(p.grad, expected)
    assert not torch.equal(moved_grad[0], g[0])  # the moved point's gradient differs, so the check can tell them apart


# toy ids: 0/1 special ([CLS]/[SEP]), 9 the mask, 20+ word starts, 50+ continuations ("##" pieces)
_TEXT = [0, 20, 50, 51, 21, 22, 52, 23, 24, 25, 53, 26, 27, 28, 29, 54, 55, 30, 31, 1]
_CONTINUATIONS = frozenset(range(50, 60))


def _words(ids: list[int]) -> list[tuple[int, ...]]:
    words: list[list[int]] = []
    for token in ids:
        if token in (0, 1):
            continue
        if token in _CONTINUATIONS and words:
            words[-1].append(token)
        else:
            words.append([token])
    return [tuple(w) for w in words]


def test_piece_masking_keeps_length_and_positions_and_masks_at_the_rate(monkeypatch):
    monkeypatch.setattr(augment.TokenDeletion, "delete", augment.TokenDeletion.delete)
    use_piece_masking(9)
    deletion = augment.TokenDeletion(0.3, [0, 1], seed=3, min_pieces=0)
    masked = [deletion(_TEXT) for _ in range(400)]
    assert all(len(m) == len(_TEXT) and m[0] == 0 and m[-1] == 1 for m in masked)
    assert all(t in (o, 9) for m in masked for t, o in zip(m, _TEXT))
    share = sum(t == 9 for m in masked for t in m) / (400 * (len(_TEXT) - 2))
    assert 0.25 < share < 0.35


def test_whole_words_leaves_out_whole_words_only(monkeypatch):
    monkeypatch.setattr(augment.TokenDeletion, "delete", augment.TokenDeletion.delete)
    use_whole_words(_CONTINUATIONS)
    deletion = augment.TokenDeletion(0.3, [0, 1], seed=3, min_pieces=0)
    original = _words(_TEXT)
    kept_counts = []
    for _ in range(400):
        out = deletion(_TEXT)
        assert out[0] == 0 and out[-1] == 1
        words = _words(out)
        assert all(w in original for w in words)  # no word is cut: a word goes with all its ## pieces
        assert words == [w for w in original if w in words]  # order kept
        kept_counts.append(len(words))
    assert 0.65 < sum(kept_counts) / (400 * len(original)) < 0.75
