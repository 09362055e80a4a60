"""Token classification (NER): entity F1 of a fine-tuned base on CoNLL-2003, WNUT-17 and BC5CDR.

Each dataset trains on a seeded sample of N training sentences (``--sizes``; 0 = the
full training set), picks the best epoch on the official validation file and reports
entity-level precision/recall/F1 (seqeval conventions, micro) on the official test
file (or a seeded sample of ``--test-limit`` of its sentences). Where a sample size and
the full set both ran, the JSON also gives each F1 as a ratio of the full-set F1.

``--engine both`` (the default) also trains the anchor on the identical sentences: a
plain transformers ``Trainer`` as in transformers' examples/pytorch/token-classification/
run_ner.py (AutoModelForTokenClassification, first sub-word labelled and the others -100,
DataCollatorForTokenClassification), with the same epochs, batch size, learning rate,
max length and seed, and run_ner's defaults for everything else (listed in the JSON).
Both are scored by headstart's entity F1 (evaluation/entities.py) on the same test
sentences; with seqeval installed, seqeval's F1 is added as a cross-check.

    python benchmarks/ner.py --datasets conll2003 wnut17 bc5cdr --sizes 1000 --epochs 4
    python benchmarks/ner.py --datasets wnut17 --sizes 0 --epochs 3     # full WNUT-17 training set
    python benchmarks/ner.py --datasets wnut17 --sizes 50 --epochs 1 --test-limit 100 --max-validation 50   # smoke run
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = {
    "conll2003": ("conll2003/eng.train", "conll2003/eng.testa", "conll2003/eng.testb"),
    "wnut17": ("wnut17/wnut17train.conll", "wnut17/emerging.dev.conll", "wnut17/emerging.test.annotated"),
    "bc5cdr": ("bc5cdr/iob/train.tsv", "bc5cdr/iob/devel.tsv", "bc5cdr/iob/test.tsv"),
}
PRF = ("precision", "recall", "f1")
COUNTS = ("n_entities", "n_predicted", "token_accuracy")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sample_test(path: str, limit: int, seed: int, out: Path) -> str:
    """A seeded sample of ``limit`` test sentences written as BIO JSONL (the file both engines then read)."""
    from headstart.data.tokens import read_tagged_file

    split, _ = read_tagged_file(path)
    if limit >= len(split):
        return path
    keep = sorted(random.Random(seed).sample(range(len(split)), limit))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps({"tokens": split.words[i], "tags": split.tags[i]}, ensure_ascii=False) + "\n" for i in keep), encoding="utf-8")
    return str(out)


def headline(result: dict) -> dict:
    """The numbers of one result worth a line on the console."""
    keys = ("train_sentences", "test_sentences", "f1_ratio_headstart_to_trainer", "examples_per_second_ratio_headstart_to_trainer", "wall_time_ratio_headstart_to_trainer")
    line = {k: result[k] for k in keys if k in result}
    for engine, source in (("headstart", result), ("trainer", result.get("trainer"))):
        if source and "test" in source:
            line[engine] = {"test_f1": round(source["test"]["f1"], 4), "seconds": source["seconds"], "examples_per_second": source["examples_per_second"], **({"seqeval_f1": source["test_seqeval_f1"]} if "test_seqeval_f1" in source else {})}
    return line


def seqeval_f1(true_tags: list[list[str]], pred_tags: list[list[str]]) -> float | None:
    """seqeval's micro entity F1 (default mode) when seqeval is installed; a cross-check, not a dependency."""
    try:
        from seqeval.metrics import f1_score
    except ImportError:
        return None
    return round(float(f1_score(true_tags, pred_tags)), 4)


def run_headstart(files, options, config, args: argparse.Namespace, run_dir: Path, test) -> dict:
    """headstart's own token-classification run; wall time covers reading, training, validation, test and writing the run."""
    import yaml

    from headstart.api_tokens import load_token_run, train_token_run
    from headstart.tasks.tokens import predict_word_tags

    started = time.perf_counter()
    summary = train_token_run(files, options, args.base, config, run_dir, overwrite=True, log=log)
    seconds = time.perf_counter() - started
    record = yaml.safe_load((run_dir / "headstart.yaml").read_text())
    result = record["result"]
    train_sentences = record["data"]["splits"]["train"]["sentences"]
    out = {
        "train_sentences": train_sentences,
        "epochs_run": result["epochs_run"],
        "best_epoch": result["best_epoch"],
        "mixed_precision": record["mixed_precision"],
        "seconds": round(seconds, 1),
        "train_seconds": round(result["train_seconds"], 1),
        "examples_per_second": round(train_sentences * result["epochs_run"] / max(result["train_seconds"], 1e-9), 2),
        "validation": {k: summary.metrics["validation"][k] for k in PRF},
        "test": {k: summary.metrics["test"][k] for k in PRF + COUNTS},
        "test_per_type": {k: round(v["f1"], 4) for k, v in summary.metrics["test"]["per_type"].items()},
    }
    if importlib.util.find_spec("seqeval"):  # predict the test words again for the cross-check, outside the timed part
        tagger = load_token_run(run_dir)
        predicted, _ = predict_word_tags(tagger.model, tagger.tokenizer, test.words, tagger.max_length, config.eval_batch_size)
        out["test_seqeval_f1"] = seqeval_f1(test.tags, predicted)
    return out


def first_subword_labels(word_ids: list[int | None], tags: list[str], label_to_id: dict[str, int]) -> list[int]:
    """run_ner's alignment (label_all_tokens off): a word's tag on its first sub-word, -100 on special tokens and later sub-words."""
    labels, previous = [], None
    for word in word_ids:
        labels.append(-100 if word is None or word == previous else label_to_id[tags[word]])
        previous = word
    return labels


def first_subword_tags(word_ids: list[int | None], logits, label_list: list[str], n_words: int) -> list[str]:
    """One tag per word, read at its first sub-word (as run_ner scores).

    Words cut off by --max-length are never seen; run_ner drops them from its scores,
    here they count as 'O' so both engines are scored on every word of the same sentences.
    """
    tags, previous = ["O"] * n_words, None
    for position, word in enumerate(word_ids):
        if word is not None and word != previous:
            tags[word] = label_list[int(logits[position].argmax())]
        previous = word
    return tags


def run_trainer(data, args: argparse.Namespace, work: Path) -> dict:
    """The anchor: transformers' Trainer as in its run_ner.py example, trained on headstart's exact training sentences."""
    from transformers import AutoConfig, AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification, Trainer, TrainingArguments, set_seed

    from headstart.catalog.resolve import resolve_base
    from headstart.evaluation.entities import entity_metrics

    started = time.perf_counter()
    location = resolve_base(args.base).location
    set_seed(args.seed)  # run_ner seeds before the model is built, so the new head starts the same each time
    # run_ner's label list for string tags: every tag seen in train, sorted.
    label_list = sorted({tag for tags in data.train.tags for tag in tags})
    label_to_id = {label: i for i, label in enumerate(label_list)}
    config = AutoConfig.from_pretrained(location, num_labels=len(label_list), id2label=dict(enumerate(label_list)), label2id=label_to_id, local_files_only=True)
    prefix_space = {"add_prefix_space": True} if config.model_type in {"bloom", "gpt2", "roberta", "deberta"} else {}
    tokenizer = AutoTokenizer.from_pretrained(location, use_fast=True, local_files_only=True, **prefix_space)
    model = AutoModelForTokenClassification.from_pretrained(location, config=config, local_files_only=True)

    def encode(words: list[list[str]]):
        return tokenizer(words, truncation=True, max_length=args.max_length, is_split_into_words=True)

    train_enc = encode(data.train.words)
    train_rows = [{**{k: v[i] for k, v in train_enc.items()}, "labels": first_subword_labels(train_enc.word_ids(i), tags, label_to_id)} for i, tags in enumerate(data.train.tags)]

    training_args = TrainingArguments(
        output_dir=str(work / "trainer"),
        per_device_train_batch_size=args.batch_size,
        num_train_epochs=args.epochs,
        learning_rate=args.learning_rate,
        seed=args.seed,
        # Not run_ner's: no checkpoint every 500 steps (disk), no reporting integrations.
        save_strategy="no",
        report_to="none",
    )
    trainer = Trainer(model=model, args=training_args, train_dataset=train_rows, processing_class=tokenizer, data_collator=DataCollatorForTokenClassification(tokenizer))
    train_started = time.perf_counter()
    train_metrics = trainer.train().metrics
    train_seconds = time.perf_counter() - train_started
    trainer.save_model()  # run_ner saves the final model; headstart's wall time includes writing its run too

    test_enc = encode(data.test.words)
    test_rows = [{k: v[i] for k, v in test_enc.items()} for i in range(len(data.test))]
    logits = trainer.predict(test_rows).predictions
    predicted = [first_subword_tags(test_enc.word_ids(i), logits[i], label_list, len(words)) for i, words in enumerate(data.test.words)]
    cut_words = sum(len(words) - len({w for w in test_enc.word_ids(i) if w is not None}) for i, words in enumerate(data.test.words))
    metrics = entity_metrics(data.test.tags, predicted)
    seconds = time.perf_counter() - started
    out = {
        "train_sentences": len(data.train),
        "epochs_run": args.epochs,
        "seconds": round(seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "examples_per_second": round(len(data.train) * args.epochs / max(train_seconds, 1e-9), 2),
        "trainer_reported_samples_per_second": train_metrics.get("train_samples_per_second"),
        "test": {k: metrics[k] for k in PRF + COUNTS},
        "test_per_type": {k: round(v["f1"], 4) for k, v in metrics["per_type"].items()},
        "test_words_past_max_length": cut_words,
        "labels": label_list,
        "settings": {
            "same_as_headstart": {"epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate, "max_length": args.max_length, "seed": args.seed},
            "run_ner_defaults": {
                **{k: getattr(getattr(training_args, k), "value", getattr(training_args, k)) for k in ("optim", "weight_decay", "warmup_steps", "lr_scheduler_type", "max_grad_norm", "per_device_eval_batch_size", "train_sampling_strategy", "bf16", "fp16")},
                "label_all_tokens": False,
                "pad_to_max_length": False,
                "head_learning_rate": "same as the encoder's",
                "model_selection": "final epoch (no evaluation during training, no early stopping)",
            },
            "not_run_ner": {"save_strategy": "no (run_ner: a checkpoint every 500 steps)", "device": str(training_args.device)},
        },
    }
    seqeval = seqeval_f1(data.test.tags, predicted)
    if seqeval is not None:
        out["test_seqeval_f1"] = seqeval
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS), default=sorted(DATASETS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000], help="training sentences per run (0 = all)")
    parser.add_argument("--base", default="minilm-l6")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-validation", type=int, default=500, help="validation sentences that pick headstart's best epoch (0 = all)")
    parser.add_argument("--test-limit", type=int, default=0, help="score a seeded sample of this many test sentences (0 = the full test file)")
    parser.add_argument("--engine", choices=["headstart", "trainer", "both"], default="both", help="headstart, the run_ner.py Trainer anchor, or both on the same sentences")
    parser.add_argument("--out", default="bench-out")
    args = parser.parse_args()

    from headstart.data.tokens import TokenOptions, load_token_data
    from headstart.runs.tokens_run import TokenFiles
    from headstart.training.config import TrainConfig

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.datasets:
        train, validation, test = (str(DATA / p) for p in DATASETS[name])
        if args.test_limit:
            test = sample_test(test, args.test_limit, args.seed, out / "ner-data" / f"{name}-test-{args.test_limit}.jsonl")
        results = []
        for size in args.sizes:
            config = TrainConfig(method="full", epochs=args.epochs, learning_rate=args.learning_rate, batch_size=args.batch_size, max_length=args.max_length, seed=args.seed, patience=2)
            options = TokenOptions(max_train_sentences=size or None, max_validation_sentences=args.max_validation or None)
            files = TokenFiles(train, validation, test)
            # The very call train_token_run makes, so the anchor sees the same sampled sentences.
            data = load_token_data(files.train, files.validation, files.test, options, files.encoding, files.validation_fraction, files.split_seed)
            result: dict = {"size_flag": size, "train_sentences": len(data.train), "test_sentences": len(data.test)}
            if args.engine in ("headstart", "both"):
                headstart = run_headstart(files, options, config, args, out / "runs" / f"ner-{name}-{size or 'full'}", data.test)
                if headstart["train_sentences"] != len(data.train):
                    raise RuntimeError(f"headstart trained on {headstart['train_sentences']} sentences, the anchor's sample has {len(data.train)}")
                result.update(headstart)
                log(f"{name} {size or 'full'}: headstart test entity F1 {headstart['test']['f1']:.4f}")
            if args.engine in ("trainer", "both"):
                result["trainer"] = run_trainer(data, args, out / "runs" / f"ner-{name}-{size or 'full'}-trainer")
                log(f"{name} {size or 'full'}: Trainer (run_ner) test entity F1 {result['trainer']['test']['f1']:.4f}")
            if args.engine == "both":
                anchor = result["trainer"]
                result["f1_ratio_headstart_to_trainer"] = round(result["test"]["f1"] / anchor["test"]["f1"], 4) if anchor["test"]["f1"] else None
                result["examples_per_second_ratio_headstart_to_trainer"] = round(result["examples_per_second"] / anchor["examples_per_second"], 3)
                result["wall_time_ratio_headstart_to_trainer"] = round(result["seconds"] / anchor["seconds"], 3)
            results.append(result)
        full = next((r for r in results if r["size_flag"] == 0 and "test" in r), None)
        if full:
            for r in results:
                r["test_f1_ratio_to_full"] = round(r["test"]["f1"] / full["test"]["f1"], 4) if full["test"]["f1"] else None
        report = {
            "benchmark": "ner",
            "dataset": name,
            "base": args.base,
            "engine": args.engine,
            "test_file": test,
            "options": vars(args),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": platform.platform(),
            "note": (
                "2 CPU cores shared with other jobs while measuring: times are not comparable across runs. "
                "examples_per_second = training sentences x epochs / training seconds (headstart's excludes its per-epoch validation). "
                "seconds = wall time of the whole engine: headstart reads, trains, validates each epoch, scores test and writes its run; "
                "the Trainer loads, trains, saves the model and scores test."
            ),
            "results": results,
        }
        suffix = ("" if args.engine == "both" else f"-{args.engine}") + (f"-test{args.test_limit}" if args.test_limit else "")
        path = out / f"ner-{name}-{'-'.join(str(s) for s in args.sizes)}{suffix}.json"
        path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {path}", flush=True)
        for r in results:
            print(json.dumps({"dataset": name, **headline(r)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
