"""Learning curves: score against the number of labeled examples, for transfer methods and two baselines.

    from headstart.curves import CurveConfig, learning_curve
    result = learning_curve(DataSpec(train="train.csv", test="test.csv"), CurveConfig(sizes="100,300,1000"), output="runs/curve")
    print("\\n".join(result.answers))

Every point (method, size, repeat) trains through the public training path
(:func:`headstart.tasks.classification.train_classifier` with a TrainConfig), so
any method TrainConfig accepts can be drawn. Finished points are written to a
progress file after each point, so ``resume=True`` reuses them after a crash.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from tqdm.auto import tqdm

from headstart.catalog.entries import DEFAULT_BASE
from headstart.catalog.resolve import ResolvedBase, resolve_base
from headstart.data.classification import ClassificationData, DataSpec, LabeledTexts, load_split, sort_labels
from headstart.data.split import stratified_split
from headstart.errors import ConfigError, DataError
from headstart.evaluation.curve import answer_lines, draw_sample, full_data_score, nested_order, parse_method_sizes, parse_sizes, split_sample, summarise
from headstart.evaluation.metrics import classification_metrics
from headstart.runs.atomic import atomic_write_json
from headstart.runs.curve_write import write_curve_dir
from headstart.runs.environment import library_versions, machine
from headstart.runs.write import base_record
from headstart.tasks.baselines import random_init_base, tfidf_logistic_regression
from headstart.tasks.classification import evaluate_split, train_classifier
from headstart.training.config import TrainConfig

BASELINES = ("tfidf", "scratch")
"""Methods without pre-training; every other method name is a TrainConfig method of the base."""


@dataclass
class CurveConfig:
    """What the learning curve measures."""

    methods: str = "full,tfidf,scratch"
    """Comma-separated methods: training methods of the base (full, head, lora, ...), 'tfidf' (TF-IDF + logistic regression) and 'scratch' (the base's architecture from random init)."""
    sizes: str = "100,300,1000"
    """Comma-separated numbers of labeled examples; SIZExN sets N repeats for that size (e.g. 100x5,1000x2)."""
    method_sizes: str = ""
    """Per-method sizes replacing --sizes for that method, e.g. 'scratch=100,1000x2,10000x1;full=100x3'."""
    repeats: int = 3
    """Repeats per size (each a different nested sample and training seed) unless SIZExN says otherwise."""
    per_class: bool = False
    """Sizes count labeled examples per class instead of in total."""
    test_fraction: float = 0.2
    """Share of the data held out (stratified, --split-seed) as the fixed evaluation set when no --test file is given."""
    test_size: int | None = None
    """Evaluate on at most this many held-out examples (a stratified, fixed subset) to save time."""
    target: float = 0.95
    """Share of the full-data score the answer asks for ('how many labels reach 0.95 of it')."""
    full_size: int | None = None
    """Size whose best score counts as the full-data score (default: the best mean at any size, whichever method)."""
    scratch_learning_rate: float = 1e-4
    """Learning rate of the from-scratch baseline (encoder and head alike: nothing is pre-trained)."""
    scratch_epochs: int | None = None
    """Epochs of the from-scratch baseline (default: --epochs)."""

    def validate(self) -> None:
        problems = []
        if self.repeats < 1:
            problems.append(f"--repeats must be at least 1; got {self.repeats}.")
        if not 0 < self.test_fraction < 1:
            problems.append(f"--test-fraction must be between 0 and 1; got {self.test_fraction}.")
        if self.test_size is not None and self.test_size < 1:
            problems.append(f"--test-size must be at least 1; got {self.test_size}.")
        if not 0 < self.target <= 1:
            problems.append(f"--target must be in (0, 1], e.g. 0.95; got {self.target}.")
        if not 0 < self.scratch_learning_rate < 1:
            problems.append(f"--scratch-learning-rate must be between 0 and 1; got {self.scratch_learning_rate}.")
        if self.scratch_epochs is not None and self.scratch_epochs < 1:
            problems.append(f"--scratch-epochs must be at least 1; got {self.scratch_epochs}.")
        if not self.method_list():
            problems.append("--methods is empty; give e.g. full,tfidf,scratch.")
        if problems:
            raise ConfigError("invalid learning-curve options:\n  " + "\n  ".join(problems))

    def method_list(self) -> list[str]:
        return list(dict.fromkeys(m.strip() for m in self.methods.split(",") if m.strip()))


@dataclass
class CurveData:
    pool: LabeledTexts
    """Examples the samples are drawn from."""
    test: LabeledTexts
    label_names: list[str]
    test_description: str


@dataclass
class CurveResult:
    path: Path
    points: list[dict]
    summary: dict[str, dict[int, dict]]
    answers: list[str]
    reused: int
    """Points taken from an earlier run of the same curve (--resume)."""
    names: dict[str, str]
    """Display name of each method."""


def load_curve_data(spec: DataSpec, config: CurveConfig) -> CurveData:
    """The sampling pool and the fixed evaluation set (a --test file, or a stratified held-out part)."""
    pool = load_split(dataclasses.replace(spec, validation=None, test=None), "train")
    if spec.test:
        test = load_split(dataclasses.replace(spec, train=spec.test, validation=None, test=None), "test")
        description = Path(spec.test).name
    else:
        kept, held = stratified_split(pool.labels, config.test_fraction, spec.split_seed)
        pool, test = pool.subset(kept, "train"), pool.subset(held, "test")
        description = f"{config.test_fraction:.0%} of {Path(spec.train).name} held out, split seed {spec.split_seed}"
    names = sort_labels(set(pool.labels))
    unseen = sorted(set(test.labels) - set(names))
    if unseen:
        raise DataError(f"{spec.test}: labels never seen in {spec.train}: {', '.join(unseen[:10])}. Remove those rows or add training examples of them.")
    if len(names) < 2:
        raise DataError(f"{spec.train}: every example has the label '{names[0]}'; a learning curve needs at least 2 classes.")
    if config.test_size is not None and config.test_size < len(test):
        test = test.subset(sorted(nested_order(test.labels, spec.split_seed)[: config.test_size]), "test")
        description += f", stratified subset of {config.test_size:,}"
    description = f"{description}: {len(test):,} examples"
    return CurveData(pool, test, names, description)


def plan_points(config: CurveConfig, train: TrainConfig) -> list[tuple[str, int, int]]:
    """(method, size, repeat) of every point, small sizes first."""
    methods = config.method_list()
    overrides = parse_method_sizes(config.method_sizes, methods, config.repeats)
    default = parse_sizes(config.sizes, config.repeats)
    plan = [(method, spec.size, r) for method in methods for spec in overrides.get(method, default) for r in range(spec.repeats)]
    return sorted(plan, key=lambda p: (p[1], p[2], methods.index(p[0])))


def method_config(method: str, train: TrainConfig, config: CurveConfig, seed: int) -> TrainConfig:
    """The TrainConfig a point of ``method`` trains with (validated). ``--head-init`` shapes full fine-tuning only:
    the other methods (and the from-scratch baseline, whose embeddings mean nothing yet) start their heads their own way."""
    if method == "scratch":
        rate = config.scratch_learning_rate
        return dataclasses.replace(train, method="full", learning_rate=rate, head_learning_rate=rate, layer_decay=1.0, epochs=config.scratch_epochs or train.epochs, seeds=1, seed=seed, head_init="random")
    resolved = dataclasses.replace(train, method=method, seeds=1, seed=seed, head_init=train.head_init if method in ("full", "auto") else "random")
    resolved.validate()
    return resolved


def check_methods(config: CurveConfig, train: TrainConfig) -> None:
    problems = []
    for method in config.method_list():
        if method in BASELINES:
            continue
        try:
            method_config(method, train, config, train.seed)
        except ConfigError as err:
            problems.append(f"--methods '{method}': {str(err).splitlines()[-1].strip()} (or a baseline: {', '.join(BASELINES)})")
    if problems:
        raise ConfigError("invalid learning-curve methods:\n  " + "\n  ".join(problems))


def fingerprint(spec: DataSpec, config: CurveConfig, method_settings: dict, base: str) -> str:
    """What makes a finished point reusable: data, evaluation set, sampling rules, base and method settings."""
    files = {name: _file_identity(getattr(spec, name)) for name in ("train", "test")}
    keys = {"files": files, "columns": [spec.text_column, spec.label_column, spec.encoding, spec.split_seed, spec.validation_fraction], "sampling": [config.per_class, config.test_fraction, config.test_size], "base": base, "method": method_settings}
    return hashlib.sha256(json.dumps(keys, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _file_identity(path: str | None) -> list | None:
    if not path:
        return None
    stat = Path(path).stat()
    return [str(Path(path).resolve()), stat.st_size]


def progress_path(output: Path) -> Path:
    return output.parent / f".{output.name}.points.json"


def previous_points(output: Path) -> tuple[list[dict], list[str]]:
    """Points (and log) of an interrupted or finished run of this output."""
    for candidate in (progress_path(output), output / "curve.json"):
        if candidate.is_file():
            try:
                saved = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as err:
                raise ConfigError(f"--resume: could not read {candidate} ({err}); delete it to start over.") from None
            return list(saved.get("points", [])), list(saved.get("log", []))
    return [], []


def _label_indices(split: LabeledTexts, names: list[str]) -> list[int]:
    index = {name: i for i, name in enumerate(names)}
    return [index[label] for label in split.labels]


def run_point(method: str, sample_train: LabeledTexts, sample_val: LabeledTexts, data: CurveData, base: ResolvedBase, point_config: TrainConfig | None, scratch_dir: Path, log: Callable[[str], None]) -> dict:
    """Train one point and score it on the fixed test set."""
    names = data.label_names
    if method == "tfidf":
        model, c = tfidf_logistic_regression(sample_train.texts, _label_indices(sample_train, names), sample_val.texts, _label_indices(sample_val, names), point_config.seed)
        scores = classification_metrics(_label_indices(data.test, names), model.predict(data.test.texts), names)
        return {"scores": scores, "details": {"C": c}}
    if method == "scratch":
        base = random_init_base(base, scratch_dir / f"seed-{point_config.seed}", point_config.seed)
    trained = train_classifier(ClassificationData(sample_train, sample_val, None, names), base, point_config, log)
    if trained.loop.interrupted:
        raise KeyboardInterrupt
    scores, _ = evaluate_split(trained.model, trained.tokenizer, data.test, names, point_config, trained.mixed_precision)
    return {"scores": scores, "details": {"best_epoch": trained.loop.best_epoch}, "epochs_run": trained.loop.epochs_run}


def method_names(methods: list[str], base_name: str) -> dict[str, str]:
    return {m: {"tfidf": "TF-IDF + LR", "scratch": f"{base_name} from scratch"}.get(m, f"{base_name} {m}") for m in methods}


def method_description(method: str, settings: dict | None) -> str:
    if method == "tfidf":
        return "word 1-2-gram TF-IDF (sublinear tf) + logistic regression; C from {0.1, 1, 10, 100} picked on the sample's validation part, refitted on the whole sample."
    kind = "the base's architecture and tokenizer with random initial weights (no pre-training), trained with the same loop" if method == "scratch" else f"the pre-trained base, --method {settings['method']}"
    return f"{kind}; lr {settings['learning_rate']}, head lr {settings['head_learning_rate']}, up to {settings['epochs']} epochs (patience {settings['patience']}), batch {settings['batch_size']}, max length {settings['max_length']}."


def check_sizes(plan: list[tuple[str, int, int]], data: CurveData, config: CurveConfig) -> None:
    """Every size must fit the pool and give each class at least 2 examples (one to train, one to validate)."""
    n_classes = len(data.label_names)
    smallest_class = min(data.pool.labels.count(label) for label in data.label_names)
    too_big = sorted({size for _, size, _ in plan if (size > smallest_class if config.per_class else size > len(data.pool))})
    too_small = sorted({size for _, size, _ in plan if not config.per_class and size < 2 * n_classes})
    if not (too_big or too_small):
        return
    available = f"the smallest class has {smallest_class:,} examples" if config.per_class else f"the pool has {len(data.pool):,} examples"
    problems = ["sizes the data cannot give:"]
    if too_big:
        problems.append(f"{', '.join(map(str, too_big))}: larger than the data ({available}); drop them or give more data.")
    if too_small:
        problems.append(f"{', '.join(map(str, too_small))}: fewer than 2 per class ({n_classes} classes); use larger sizes or --per-class.")
    raise DataError("\n  ".join(problems))


def method_settings(method: str, train: TrainConfig, config: CurveConfig) -> dict:
    """The resolved settings of a method (learning rates filled in), as recorded and fingerprinted."""
    if method == "tfidf":
        return {"method": "tfidf"}
    resolved = method_config(method, train, config, train.seed)
    settings = resolved.to_dict()
    settings.update(learning_rate=resolved.resolved_learning_rate(), head_learning_rate=resolved.resolved_head_learning_rate())
    return {k: v for k, v in settings.items() if k not in ("seed", "seeds")}


def learning_curve(spec: DataSpec, config: CurveConfig | None = None, train: TrainConfig | None = None, base: str = DEFAULT_BASE, output: str | Path | None = None, resume: bool = False, overwrite: bool = False, allow_download: bool = False, log: Callable[[str], None] = print) -> CurveResult:
    """Measure the learning curve and write its run directory (curve.json/csv/png, curve.log, README.md).

    Raises:
        ConfigError: bad options, or ``output`` exists without ``resume``/``overwrite``.
        DataError: unreadable data or sizes larger than the data.
    """
    config, train = config or CurveConfig(), train or TrainConfig()
    config.validate()
    train.validate()
    check_methods(config, train)
    plan = plan_points(config, train)
    if config.full_size is not None and config.full_size not in {size for _, size, _ in plan}:
        raise ConfigError(f"--full-size {config.full_size} is not one of the curve's sizes ({', '.join(str(s) for s in sorted({size for _, size, _ in plan}))}); pick one of them.")
    out = Path(output) if output else Path("runs") / f"{Path(spec.train).stem}-curve-{datetime.now():%Y%m%d-%H%M%S}"
    if out.exists() and not (resume or overwrite):
        raise ConfigError(f"output folder {out} already exists; pass --resume to reuse its points (adding new ones), --overwrite to start over, or choose another --output.")
    if progress_path(out).exists() and not (resume or overwrite):
        raise ConfigError(f"an interrupted curve left finished points in {progress_path(out)}; pass --resume to reuse them, --overwrite to start over, or choose another --output.")
    lines: list[str] = []

    def note(message: str) -> None:
        lines.append(f"[{datetime.now():%H:%M:%S}] {message}")
        log(message)

    data = load_curve_data(spec, config)
    check_sizes(plan, data, config)
    n_classes = len(data.label_names)
    resolved = resolve_base(base, allow_download) if any(m != "tfidf" for m in config.method_list()) else None
    base_name = resolved.name if resolved else base
    names = method_names(config.method_list(), base_name)
    settings = {m: method_settings(m, train, config) for m in config.method_list()}
    prints = {m: fingerprint(spec, config, settings[m], resolved.location if resolved and m != "tfidf" else "") for m in settings}

    earlier, earlier_log = previous_points(out) if resume else ([], [])
    wanted = {(m, s, r) for m, s, r in plan}
    done = {(p["method"], p["size"], p["repeat"]): p for p in earlier if p.get("fingerprint") == prints.get(p["method"]) and (p["method"], p["size"], p["repeat"]) in wanted}
    lines.extend(earlier_log)
    note(f"learning curve on {spec.train}: pool {len(data.pool):,} examples, {n_classes} classes; evaluation on {data.test_description}")
    if resume:
        stale = len(earlier) - len(done)
        note(f"resume: reusing {len(done)} finished point(s)" + (f"; {stale} earlier point(s) not reused (other settings or not in this curve)" if stale else ""))
    points = list(done.values())
    # Earlier points this curve does not use stay in the progress file, for a later --resume that wants them again.
    set_aside = [p for p in earlier if (p["method"], p["size"], p["repeat"]) not in done or done[(p["method"], p["size"], p["repeat"])] is not p]
    pending = [p for p in plan if p not in done]
    validation_step = max(2, round(1 / spec.validation_fraction)) if spec.validation_fraction > 0 else 0
    record = {
        "headstart_curve": 1,
        "data": {"train": spec.train, "test": spec.test, "test_description": data.test_description, "pool_size": len(data.pool), "test_size": len(data.test), "label_names": data.label_names},
        "base": base_record(resolved) if resolved else {"name": base},
        "settings": {**dataclasses.asdict(config), "seed": train.seed, "metric": train.metric, "validation_fraction": spec.validation_fraction, "validation_step": validation_step},
        "methods": {m: {"settings": settings[m], "description": method_description(m, settings[m] if m != "tfidf" else None), "fingerprint": prints[m]} for m in settings},
        "names": names,
        "versions": library_versions(),
        "machine": machine(),
    }
    progress = progress_path(out)
    with tempfile.TemporaryDirectory(prefix="headstart-scratch-") as scratch_dir, tqdm(total=len(plan), initial=len(done), desc="curve points", unit="point", dynamic_ncols=True, position=0) as bar:
        for method, size, repeat in pending:
            seed = train.seed + repeat
            sample = draw_sample(data.pool.labels, size, seed, config.per_class)
            train_idx, val_idx = split_sample(sample, data.pool.labels, spec.validation_fraction)
            sample_train, sample_val = data.pool.subset(train_idx, "train"), data.pool.subset(val_idx, "validation")
            note(f"point {names[method]}, {size:,} labels, repeat {repeat + 1} (seed {seed}): {len(train_idx)} train + {len(val_idx)} validation")
            started = time.perf_counter()
            point_config = method_config(method, train, config, seed) if method != "tfidf" else dataclasses.replace(train, seed=seed)
            outcome = run_point(method, sample_train, sample_val, data, resolved, point_config, Path(scratch_dir), note)
            point = {"method": method, "size": size, "repeat": repeat, "seed": seed, "n_train": len(train_idx), "n_validation": len(val_idx), "scores": {k: float(outcome["scores"][k]) for k in ("accuracy", "macro_f1")}, "epochs_run": outcome.get("epochs_run"), "details": outcome["details"], "seconds": round(time.perf_counter() - started, 1), "fingerprint": prints[method]}
            points.append(point)
            note(f"  {train.metric} {point['scores'][train.metric]:.4f} ({point['seconds']:.0f} s)")
            # Written after every point: a crash hours in loses at most the point in progress.
            atomic_write_json(progress, {"points": points + set_aside, "log": lines})
            bar.update(1)
    summary = summarise(points, train.metric)
    summary = {m: summary[m] for m in config.method_list() if m in summary}
    baselines = [m for m in BASELINES if m in summary]
    answers = answer_lines(summary, names, baselines, config.target, train.metric, config.full_size)
    for answer in answers:
        note(answer)
    full, _, _ = full_data_score(summary, config.full_size)
    write_curve_dir(out, record, points, summary, answers, lines, overwrite or resume, config.target * full)
    if set_aside:
        atomic_write_json(progress, {"points": points + set_aside, "log": lines})
    else:
        progress.unlink(missing_ok=True)
    return CurveResult(out, points, summary, answers, len(done), names)
