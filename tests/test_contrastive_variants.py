"""The benchmark's sharpness-aware step (benchmarks/contrastive_variants.use_sam) does what BENCHMARKS.md says it does."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from contrastive_variants import use_sam  # noqa: E402

import headstart.tasks.contrastive as contrastive  # noqa: E402


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
