"""headstart's training loop vs transformers' Trainer: same model, data, initial weights and optimizer.

Both engines fine-tune the identical initial model (built once by headstart, so the
new head's random init is shared) on the same tokenized examples, with the same AdamW
parameter groups, linear warmup/decay schedule, batch size, epochs, gradient clipping
and precision. Each engine runs in its own subprocess so peak memory is its own.
Reported: training examples/s and real (non-padding) tokens/s over the training
steps only, peak RSS, and accuracy on the evaluation file.

    python benchmarks/train_vs_trainer.py                 # SST-2: 1,000 train sentences, dev as evaluation
    python benchmarks/train_vs_trainer.py --epochs 3 --out bench-out/trainer.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sst2_glue"


def prepare(args):
    import torch
    from accelerate.utils import set_seed

    from headstart.catalog import resolve_base
    from headstart.data.classification import DataSpec, load_classification_data
    from headstart.models.classifier import build_classifier, parameter_groups
    from headstart.models.loading import load_tokenizer
    from headstart.tasks.inference import encode_texts

    data = load_classification_data(DataSpec(train=args.train, validation=args.eval))
    base = resolve_base(args.base)
    tokenizer = load_tokenizer(base)
    set_seed(args.seed)
    model = build_classifier(base, data.label_names, pooling=args.pooling)
    index = {n: i for i, n in enumerate(data.label_names)}
    encoded, _ = encode_texts(tokenizer, data.train.texts, args.max_length)
    encoded.labels = [index[l] for l in data.train.labels]
    groups = parameter_groups(model, "full", args.lr, args.head_lr, 0.01)
    return data, tokenizer, model, encoded, groups, index, torch


def evaluate(model, tokenizer, data, index, args):
    from headstart.tasks.classification import pad_id
    from headstart.tasks.inference import encode_texts, predict_logits

    encoded, _ = encode_texts(tokenizer, data.validation.texts, args.max_length)
    logits = predict_logits(model, encoded, pad_id(tokenizer), 128)
    y = [index[l] for l in data.validation.labels]
    return float((logits.argmax(-1) == y).mean())


def run_headstart(args) -> dict:
    from headstart.tasks.classification import classification_step, pad_id
    from headstart.training.batching import Collator, length_grouped_batches
    from headstart.training.loop import EpochBatches, LoopConfig, fit, make_accelerator

    data, tokenizer, model, encoded, groups, index, torch = prepare(args)
    lengths = encoded.lengths()
    batches = EpochBatches(lambda epoch: length_grouped_batches(lengths, args.batch_size, args.seed + epoch))
    result = fit(
        model,
        n_examples=len(encoded),
        batches=batches,
        collate=Collator(encoded, pad_id(tokenizer)),
        step=classification_step,
        evaluate=lambda m: {"accuracy": 0.0},  # no per-epoch evaluation: Trainer runs none either
        param_groups=groups,
        config=LoopConfig(args.epochs, 0.1, 1.0, 0, "accuracy"),
        accelerator=make_accelerator("no"),
        log=lambda m: None,
        keep_best=False,
    )
    return {"seconds": result.train_seconds, "examples": result.examples_seen, "tokens": result.tokens_seen, "accuracy": evaluate(model, tokenizer, data, index, args)}


def run_trainer(args, group_by_length: bool) -> dict:
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, get_linear_schedule_with_warmup

    data, tokenizer, model, encoded, groups, index, torch = prepare(args)
    rows = [{"input_ids": ids, "attention_mask": [1] * len(ids), "labels": label} for ids, label in zip(encoded.input_ids, encoded.labels)]
    steps = args.epochs * ((len(rows) + args.batch_size - 1) // args.batch_size)
    # The optimizer headstart's loop builds (fused AdamW, as Trainer's own default since torch 2.8), so only the loops differ.
    from headstart.training.loop import make_optimizer

    optimizer = make_optimizer(groups)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)
    training_args = TrainingArguments(
        output_dir=str(Path(args.workdir) / "trainer"),
        per_device_train_batch_size=args.batch_size,
        num_train_epochs=args.epochs,
        eval_strategy="no",
        save_strategy="no",
        logging_strategy="no",
        report_to="none",
        seed=args.seed,
        max_grad_norm=1.0,
        train_sampling_strategy="group_by_length" if group_by_length else "random",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = Trainer(model=model, args=training_args, train_dataset=rows, data_collator=DataCollatorWithPadding(tokenizer), optimizers=(optimizer, scheduler))
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    tokens = sum(len(r["input_ids"]) for r in rows) * args.epochs
    return {"seconds": seconds, "examples": len(rows) * args.epochs, "tokens": tokens, "accuracy": evaluate(model, tokenizer, data, index, args)}


def child(args) -> None:
    if args.engine == "headstart":
        out = run_headstart(args)
    else:
        out = run_trainer(args, group_by_length=args.engine == "trainer-grouped")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", default=str(DATA / "train.tsv"))
    parser.add_argument("--eval", default=str(DATA / "dev.tsv"))
    parser.add_argument("--base", default="minilm-l6")
    parser.add_argument("--pooling", default="auto")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--engines", default="headstart,trainer,trainer-grouped")
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", default="bench-out")
    parser.add_argument("--out", default="bench-out/train_vs_trainer.json")
    args = parser.parse_args()
    if args.engine:
        child(args)
        return
    if not Path(args.train).exists():
        sys.exit(f"training file {args.train} not found (expected ../shared/data/sst2_glue beside the repository)")
    results = {}
    for engine in args.engines.split(","):
        passed = {k: v for k, v in vars(args).items() if k not in {"engines", "engine", "out"}}
        command = [sys.executable, __file__, "--engine", engine] + [f"--{k.replace('_', '-')}={v}" for k, v in passed.items()]
        print(f"running {engine} ...", flush=True)
        proc = subprocess.run(command, capture_output=True, text=True)
        line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
        if line is None:
            sys.exit(f"{engine} failed:\n{proc.stderr[-3000:]}")
        r = json.loads(line[7:])
        r["examples_per_s"] = r["examples"] / r["seconds"]
        r["tokens_per_s"] = r["tokens"] / r["seconds"]
        results[engine] = r
        print(f"  {engine}: {r['examples_per_s']:.1f} examples/s, {r['tokens_per_s']:.0f} tokens/s, peak RSS {r['peak_rss_mb']:.0f} MB, accuracy {r['accuracy']:.4f}", flush=True)
    anchor = results.get("trainer")
    if anchor and "headstart" in results:
        for name, r in results.items():
            r["throughput_vs_trainer"] = r["examples_per_s"] / anchor["examples_per_s"]
        print(f"headstart / Trainer throughput: {results['headstart']['throughput_vs_trainer']:.2f}x; accuracy difference {100 * (results['headstart']['accuracy'] - anchor['accuracy']):+.1f} points")
    meta = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": " ".join(["python", *sys.argv]), "args": vars(args)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"meta": meta, "results": results}, indent=2))


if __name__ == "__main__":
    main()
