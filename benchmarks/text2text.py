"""Text-to-text and in-context prompting on smollm2-135m, side by side on the same test examples.

1. DialogSum: LoRA fine-tuning on a few hundred dev dialogues vs the same model zero-shot and
   few-shot prompted (no training), all with one prompt template, scored by ROUGE-1/2/L on the
   same sample of the test split (reference: its first summary, `summary1`).
2. SST-2: in-context classification (k demonstrations per class, label words scored by
   log-likelihood) on a sample of the GLUE dev set.

Every number comes from the headstart command line (commands recorded in the output JSON).
Subset files are written under bench-out/ (the shared data is never copied into the repo).

    .venv/bin/python benchmarks/text2text.py --train-size 48 --validation-size 8 --test-size 20 --max-length 128 --max-new-tokens 32
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TEMPLATE = "Dialogue:\\n{input}\\nSummary:"
HEADSTART = str(Path(sys.executable).parent / "headstart")


def sample_jsonl(source: Path, out: Path, indices: list[int]) -> Path:
    rows = source.read_text(encoding="utf-8").splitlines()
    out.write_text("".join(rows[i] + "\n" for i in indices), encoding="utf-8")
    return out


def run(command: list[str], log: Path) -> float:
    print("$ " + " ".join(command), flush=True)
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as handle:
        code = subprocess.call(command, stdout=handle, stderr=subprocess.STDOUT)
    if code:
        raise SystemExit(f"command failed ({code}); see {log}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-size", type=int, default=200)
    parser.add_argument("--validation-size", type=int, default=40)
    parser.add_argument("--test-size", type=int, default=50)
    parser.add_argument("--max-length", type=int, default=256, help="input tokens")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--shots", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--sst2-shots", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--sst2-size", type=int, default=200)
    parser.add_argument("--skip", nargs="*", default=[], choices=["prompt", "lora", "sst2"])
    parser.add_argument("--out", default="bench-out/text2text")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    dev, test = DATA / "dialogsum" / "dialogsum.dev.jsonl", DATA / "dialogsum" / "dialogsum.test.jsonl"
    dev_order = rng.sample(range(500), args.train_size + args.validation_size)
    train = sample_jsonl(dev, out / "train.jsonl", dev_order[: args.train_size])
    validation = sample_jsonl(dev, out / "validation.jsonl", dev_order[args.train_size :])
    test_file = sample_jsonl(test, out / "test.jsonl", sorted(rng.sample(range(500), args.test_size)))
    common = ["--max-length", str(args.max_length), "--max-new-tokens", str(args.max_new_tokens), "--stop", "\\n", "--prompt-template", TEMPLATE]
    commands: dict[str, list[str]] = {
        "prompt": [HEADSTART, "prompt", str(train), "--test", str(test_file), "--task", "text2text", "--base", "smollm2-135m", "--shots", *map(str, args.shots), *common, "--out", str(out / "prompt.json")],
        "lora": [HEADSTART, "train", str(train), "--validation", str(validation), "--test", str(test_file), "--task", "text2text", "--base", "smollm2-135m", "--method", "lora",
                 "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--learning-rate", str(args.learning_rate), "--eval-batch-size", "8", "--max-target-length", "64", *common, "--output", str(out / "lora-run"), "--overwrite"],
        "sst2": [HEADSTART, "prompt", str(DATA / "sst2_glue" / "train.tsv"), "--test", str(DATA / "sst2_glue" / "dev.tsv"), "--limit", str(args.sst2_size), "--shots", *map(str, args.sst2_shots),
                 "--label-words", "0=negative,1=positive", "--prompt-template", "Review: {input}\\nSentiment:", "--out", str(out / "sst2_prompt.json")],
    }
    report: dict = {"commands": {k: " ".join(v) for k, v in commands.items()}, "seconds": {}, "sizes": vars(args)}
    for name, command in commands.items():
        if name not in args.skip:
            report["seconds"][name] = round(run(command, out / f"{name}.log"), 1)
    rows = {}
    if (out / "prompt.json").is_file():
        for shots, m in json.loads((out / "prompt.json").read_text())["results"].items():
            rows[f"{shots}-shot prompt"] = {k: m[k] for k in ("rouge1", "rouge2", "rougeL", "exact_match", "n_examples", "mean_prediction_words")}
    if (out / "lora-run" / "metrics.json").is_file():
        m = json.loads((out / "lora-run" / "metrics.json").read_text())["test"]
        rows[f"LoRA fine-tuned ({args.train_size} examples, {args.epochs} epoch)"] = {k: m[k] for k in ("rouge1", "rouge2", "rougeL", "exact_match", "n_examples", "mean_prediction_words")}
    report["dialogsum"] = rows
    zero = rows.get("0-shot prompt")
    if zero:
        report["rougeL_ratio_vs_zero_shot"] = {name: round(r["rougeL"] / max(zero["rougeL"], 1e-9), 3) for name, r in rows.items()}
    if (out / "sst2_prompt.json").is_file():
        report["sst2"] = {f"{k}-shot per class": {m: v[m] for m in ("accuracy", "macro_f1", "n_examples")} for k, v in json.loads((out / "sst2_prompt.json").read_text())["results"].items()}
    (out / "summary.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
