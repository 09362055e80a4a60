"""One AdamW step over all-MiniLM-L6-v2's parameters on this machine: PyTorch's default vs fused (what the loop uses).

    python benchmarks/optimizer_step.py            # 2 threads, 20 timed steps each

Both optimizers hold the same gradients; the time is the optimizer step alone (no forward/backward).
"""

from __future__ import annotations

import argparse
import time

import torch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from headstart.catalog.resolve import resolve_base
    from headstart.models.classifier import build_classifier
    from headstart.training.loop import make_optimizer

    model = build_classifier(resolve_base("minilm-l6"), ["a", "b"])
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    results = {}
    for name, optimizer in (("default AdamW", torch.optim.AdamW(params, lr=2e-5)), ("fused AdamW (make_optimizer)", make_optimizer([{"params": params, "lr": 2e-5}]))):
        for _ in range(3):
            optimizer.step()
        start = time.perf_counter()
        for _ in range(args.steps):
            optimizer.step()
        results[name] = (time.perf_counter() - start) / args.steps
        print(f"{name}: {results[name]:.4f} s per step over {sum(p.numel() for p in params):,} parameters")
    default, fused = results.values()
    print(f"fused is {default / fused:.1f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
