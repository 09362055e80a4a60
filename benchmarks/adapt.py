"""Adapt-then-fine-tune vs fine-tune directly, on biomedical text (BC5CDR).

Unlabeled corpus: the sentences of BC5CDR train + devel (no tags used).
Downstream task: a sentence classification derived from BC5CDR's NER tags,
four classes by which entity types a sentence mentions: chemical / disease /
both / none. Labeled training sentences are sampled from train.tsv, the test
set from test.tsv (whose text is never in the adaptation corpus).

Both arms fine-tune with the same labels, seeds and options; the only
difference is the base: the original model, or the one `headstart adapt`
produced. Reported: held-out pseudo-perplexity before and after adaptation,
and test accuracy / macro-F1 of both arms (mean over seeds).

    python benchmarks/adapt.py --steps 1500 --train-size 400 --seeds 1 2 3       # full run (tens of minutes on 2 CPU cores)
    python benchmarks/adapt.py --steps 30 --train-size 120 --test-size 200 --seeds 1 --epochs 1   # ~3-minute smoke run
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "bc5cdr" / "iob"


def read_sentences(path: Path) -> list[tuple[str, str]]:
    """(sentence, label) pairs of an IOB file; label from the entity types mentioned."""
    out, tokens, types = [], [], set()
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if tokens:
                label = "both" if len(types) == 2 else (types.pop().lower() if types else "none")
                out.append((" ".join(tokens), label))
            tokens, types = [], set()
            continue
        token, tag = line.split("\t")
        tokens.append(token)
        if tag != "O":
            types.add(tag.split("-", 1)[1])
    return out


def write_csv(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


def prepare(work: Path, train_size: int, test_size: int, seed: int) -> dict[str, Path]:
    work.mkdir(parents=True, exist_ok=True)
    train = read_sentences(DATA / "train.tsv")
    devel = read_sentences(DATA / "devel.tsv")
    test = read_sentences(DATA / "test.tsv")
    corpus = work / "bc5cdr_sentences.txt"
    corpus.write_text("\n".join(s for s, _ in train + devel) + "\n", encoding="utf-8")
    rng = random.Random(seed)
    write_csv(work / "train.csv", rng.sample(train, train_size))
    write_csv(work / "test.csv", rng.sample(test, min(test_size, len(test))))
    return {"corpus": corpus, "train": work / "train.csv", "test": work / "test.csv"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="minilm-l6")
    parser.add_argument("--steps", type=int, default=1500, help="adaptation steps")
    parser.add_argument("--adapt-batch-size", type=int, default=16)
    parser.add_argument("--train-size", type=int, default=400, help="labeled training sentences")
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--work", default="bench-out/adapt", help="folder for the generated files and models")
    parser.add_argument("--out", default=None, help="JSON results file [default: WORK/results.json]")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"BC5CDR not found at {DATA}", file=sys.stderr)
        return 2

    from headstart.api import train_run
    from headstart.catalog.resolve import resolve_base
    from headstart.corpus.reader import CorpusSpec, load_corpus
    from headstart.data.classification import DataSpec
    from headstart.pretrain.adapt import AdaptConfig, adapt
    from headstart.training.config import TrainConfig

    work = Path(args.work)
    files = prepare(work, args.train_size, args.test_size, seed=0)
    adapted = work / f"{args.base}-adapted-{args.steps}"
    started = time.perf_counter()
    result = adapt(resolve_base(args.base), load_corpus(files["corpus"], CorpusSpec(heldout_max=200)),
                   AdaptConfig(steps=args.steps, batch_size=args.adapt_batch_size, checkpoint_every=max(50, args.steps // 5)),
                   adapted, overwrite=True, log=lambda m: print(m, file=sys.stderr))
    adapt_seconds = time.perf_counter() - started
    record = (adapted / "headstart-base.yaml").read_text(encoding="utf-8")

    scores: dict[str, list[dict]] = {"direct": [], "adapted": []}
    for seed in args.seeds:
        for arm, base in (("direct", args.base), ("adapted", str(adapted))):
            spec = DataSpec(train=str(files["train"]), test=str(files["test"]), split_seed=seed)
            summary = train_run(spec, base, TrainConfig(epochs=args.epochs, seed=seed), work / f"run-{arm}-{seed}", overwrite=True, log=lambda m: None)
            test = summary.metrics["test"]
            scores[arm].append({"seed": seed, "accuracy": test["accuracy"], "macro_f1": test["macro_f1"], "seconds": round(summary.seconds, 1)})
            print(f"seed {seed} {arm:>8}: accuracy {test['accuracy']:.4f}, macro-F1 {test['macro_f1']:.4f}", file=sys.stderr)

    def mean(arm: str, key: str) -> float:
        return sum(s[key] for s in scores[arm]) / len(scores[arm])

    results = {
        "command": " ".join(sys.argv),
        "base": args.base,
        "adapt_steps": args.steps,
        "adapt_seconds": round(adapt_seconds, 1),
        "pseudo_perplexity_before": result.before["pseudo_perplexity"],
        "pseudo_perplexity_after": result.after["pseudo_perplexity"],
        "pseudo_perplexity_tokens": result.after["tokens"],
        "mlm_accuracy_before": result.before["mlm_accuracy"],
        "mlm_accuracy_after": result.after["mlm_accuracy"],
        "head_warmup_note": "the base has no MLM head: 'before' uses an untrained head; see after_head_warmup in the record" if not result.had_head else "",
        "record": record,
        "scores": scores,
        "summary": {arm: {"accuracy": mean(arm, "accuracy"), "macro_f1": mean(arm, "macro_f1")} for arm in scores},
    }
    out = Path(args.out) if args.out else work / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"| {args.base} | {args.steps} steps ({adapt_seconds:.0f}s) | pseudo-perplexity {results['pseudo_perplexity_before']:.1f} -> "
          f"{results['pseudo_perplexity_after']:.1f} | direct acc {results['summary']['direct']['accuracy']:.4f} / F1 {results['summary']['direct']['macro_f1']:.4f} | "
          f"adapted acc {results['summary']['adapted']['accuracy']:.4f} / F1 {results['summary']['adapted']['macro_f1']:.4f} |")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
