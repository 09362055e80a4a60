"""Masked-LM training step: vocabulary projection at masked positions only vs at every position.

Same batch (16 BC5CDR sentences, whole-word masking), same model, forward +
backward; reports seconds per step for both and their ratio, and checks that
the two losses agree.

    python benchmarks/mlm_step.py --base bert-tiny-mlm
    python benchmarks/mlm_step.py --base minilm-l6
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "bc5cdr" / "iob" / "train.tsv"


def sentences(limit: int) -> list[str]:
    out, tokens = [], []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip():
            tokens.append(line.split("\t")[0])
        elif tokens:
            out.append(" ".join(tokens))
            tokens = []
            if len(out) >= limit:
                break
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="bert-tiny-mlm")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None, help="JSON file [default: bench-out/mlm_step-BASE.json]")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"BC5CDR not found at {DATA}", file=sys.stderr)
        return 2

    import torch

    from headstart.catalog.resolve import resolve_base
    from headstart.models.loading import load_tokenizer
    from headstart.pretrain.masking import WholeWordMaskingCollator
    from headstart.pretrain.mlm_model import load_masked_lm
    from headstart.pretrain.objectives import masked_lm_step

    torch.set_num_threads(args.threads)
    base = resolve_base(args.base)
    model, _ = load_masked_lm(base)
    tokenizer = load_tokenizer(base)
    texts = sentences(args.batch_size)
    batch = WholeWordMaskingCollator(lambda ids: [texts[i] for i in ids], tokenizer, 128, 0)(list(range(len(texts))))
    model.eval()
    with torch.no_grad():
        full_loss, masked_loss = float(model(**batch).loss), float(masked_lm_step(model, batch))
    model.train()

    def seconds(step) -> float:
        step().backward()  # warm-up
        started = time.perf_counter()
        for _ in range(args.repeats):
            step().backward()
        return (time.perf_counter() - started) / args.repeats

    every = seconds(lambda: model(**batch).loss)
    masked = seconds(lambda: masked_lm_step(model, batch))
    result = {
        "command": " ".join(sys.argv), "base": args.base, "batch_size": len(texts), "tokens": int(batch["attention_mask"].sum()),
        "masked_tokens": int((batch["labels"] != -100).sum()), "threads": args.threads,
        "loss_every_position": full_loss, "loss_masked_only": masked_loss,
        "seconds_every_position": every, "seconds_masked_only": masked, "speedup": every / masked,
    }
    out = Path(args.out or f"bench-out/mlm_step-{args.base}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"| {args.base} | {every:.2f} s | {masked:.2f} s | {every / masked:.1f}x | loss {full_loss:.4f} vs {masked_loss:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
