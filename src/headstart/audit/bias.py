"""Counterfactual bias audit of a classification run.

For each dimension (gender, race, religion, nationality, age, or a user term list),
evaluation texts that mention a group's terms get a variant per other group with the
terms swapped, and template sentences get one variant per group. A fair model
predicts the same label for every variant of an item. Reported per dimension and
source (texts, templates): the flip rate (share of items whose prediction changes
across variants) and each group's mean score, with bootstrap 95% intervals.

The score is the probability of ``positive_label`` (default: the second label of a
2-class run, e.g. '1' or 'positive'); for runs with more classes, the probability of
the class predicted for the item's first variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from headstart.audit.bias_terms import TermList, load_term_lists, read_templates
from headstart.audit.run_predictions import label_indices, probabilities, recorded_split
from headstart.audit.stats import format_ci, mean_ci, paired_gap_ci
from headstart.data.classification import label_to_str
from headstart.data.columns import LABEL_NAMES, TEXT_NAMES, pick_column
from headstart.data.readers import read_table
from headstart.errors import ConfigError, DataError
from headstart.runs.load import LoadedRun

Item = dict[str, str]
"""One counterfactual item: group -> text variant."""


@dataclass
class AuditBiasOptions:
    """Bias audit options."""

    run_dir: str
    """Run directory written by 'headstart train'."""
    data: str | None = None
    """Evaluation texts (.csv, .tsv, .jsonl, .parquet) [default: the run's validation split]."""
    text_column: str | None = None
    """Column with the text (default: detected from common names)."""
    label_column: str | None = None
    """Column with the label, optional: with it, per-group accuracy is reported too."""
    encoding: str = "utf-8"
    """Encoding of text files."""
    eec: str | None = None
    """Equity Evaluation Corpus CSV (Equity-Evaluation-Corpus.csv): per-gender and per-race scores and flip rates."""
    terms: str | None = None
    """Extra term list (YAML, same shape as the shipped ones); replaces the built-in list of the same dimension."""
    dimensions: str | None = None
    """Comma-separated dimensions to test [default: all]."""
    templates: bool = True
    """Also test the shipped template sentences (--no-templates: only the evaluation texts)."""
    positive_label: str | None = None
    """Label whose probability is the per-group score [default: the second label of a 2-class run]."""
    crows_pairs: str | None = None
    """CrowS-Pairs CSV (crows_pairs_anonymized.csv): share of sentence pairs where the base model's masked-LM likelihood prefers the stereotype (0.5 = none). Needs a base with an MLM head; RUN_DIR may then be a base model (catalog name or folder) instead of a run."""
    crows_pairs_limit: int | None = None
    """Score only the first N CrowS-Pairs pairs (quicker, wider intervals)."""
    seed: int = 0
    """Seed of the bootstrap."""
    out: str | None = None
    """Folder for bias.json [default: the run directory, where 'headstart report' and the model card find it]."""


def check_run(run: LoadedRun) -> None:
    """A run the audit can score: single-label text classification with recorded labels."""
    from headstart.errors import RunDirError

    task = run.record.get("task", "text-classification")
    if task != "text-classification":
        raise RunDirError(f"{run.path}: audit-bias tests text classifiers; this is a {task} run.")
    if not run.record.get("labels"):
        raise RunDirError(f"{run.path}: the run records no labels (headstart.yaml has no 'labels'), so its predictions cannot be compared across groups. Give a run written by 'headstart train'.")
    if run.record.get("multi_label"):
        raise ConfigError(f"{run.path}: audit-bias scores single-label runs (one softmax over the labels); this run is multi-label.")


def score_column(run: LoadedRun, positive_label: str | None) -> int | None:
    names = run.label_names
    if positive_label is not None:
        if positive_label not in names:
            raise ConfigError(f"--positive-label '{positive_label}' is not a label of this run ({', '.join(names[:10])}).")
        return names.index(positive_label)
    return 1 if len(names) == 2 else None


def read_eval_texts(run: LoadedRun, options: AuditBiasOptions) -> tuple[list[str], list[str] | None, str]:
    """Texts (and labels when present) to swap terms in, and where they came from."""
    if options.data is None:
        split = recorded_split(run, "validation")
        return split.texts, split.labels, f"validation split of {run.record['data']['train']}"
    table = read_table(options.data, options.encoding)
    text_col = pick_column(table, options.text_column, TEXT_NAMES, "text", "--text-column")
    try:
        label_col = pick_column(table, options.label_column, LABEL_NAMES, "label", "--label-column")
    except DataError:
        if options.label_column:
            raise
        label_col = None
    texts, labels = [], []
    for row in table.rows:
        text = row.get(text_col)
        if text is None or not str(text).strip():
            continue
        texts.append(str(text))
        labels.append(label_to_str(row.get(label_col)) if label_col else None)
    if not texts:
        raise DataError(f"{options.data}: no texts in column '{text_col}'; the bias audit needs evaluation texts.")
    if label_col is None or any(label is None for label in labels):
        return texts, None, options.data
    return texts, labels, options.data


def text_items(terms: TermList, texts: list[str], labels: list | None) -> tuple[list[Item], list]:
    """Items for the texts mentioning a group's terms (the first group found is the source), with their labels."""
    items, item_labels = [], []
    for i, text in enumerate(texts):
        mentioned = terms.mentioned_groups(text)
        if not mentioned:
            continue
        source = mentioned[0]
        item = {source: text}
        for group in terms.groups:
            if group != source:
                swapped = terms.swap(text, source, group)
                if swapped != text:
                    item[group] = swapped
        if len(item) > 1:
            items.append(item)
            item_labels.append(labels[i] if labels else None)
    return items, item_labels


def template_items(terms: TermList, templates: list[str]) -> list[Item]:
    def fill(template: str, phrase: str) -> str:
        text = template.replace("{person}", phrase)
        return text[0].upper() + text[1:]

    return [{g: fill(t, terms.persons[g]) for g in terms.groups if g in terms.persons} for t in templates if len(terms.persons) > 1]


def summarise_items(items: list[Item], groups: list[str], probs: dict[str, np.ndarray], column: int | None, label_ids: list[int | None], seed: int) -> dict[str, Any]:
    """Flip rate, per-group mean score (and accuracy when labels are known) with bootstrap CIs."""
    flips, per_group, correct = [], {g: [] for g in groups}, {g: [] for g in groups}
    full_rows = []
    for item, label in zip(items, label_ids):
        predicted = {g: int(probs[t].argmax()) for g, t in item.items()}
        flips.append(float(len(set(predicted.values())) > 1))
        target = column if column is not None else predicted[next(iter(item))]
        scores = {g: float(probs[t][target]) for g, t in item.items()}
        for g, s in scores.items():
            per_group[g].append(s)
            if label is not None:
                correct[g].append(float(predicted[g] == label))
        if all(g in scores for g in groups):
            full_rows.append([scores[g] for g in groups])
    result: dict[str, Any] = {
        "items": len(items),
        "flip_rate": mean_ci(flips, seed),
        "mean_score": {g: mean_ci(v, seed) for g, v in per_group.items() if v},
    }
    if any(correct.values()):
        result["accuracy"] = {g: mean_ci(v, seed) for g, v in correct.items() if v}
    if full_rows:
        result["score_gap"] = paired_gap_ci(np.array(full_rows), seed)
    return result


def audit_bias(run: LoadedRun, options: AuditBiasOptions, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Counterfactual tests on the evaluation texts and templates, plus the EEC and CrowS-Pairs when given."""
    check_run(run)
    column = score_column(run, options.positive_label)
    wanted = [d.strip() for d in options.dimensions.split(",") if d.strip()] if options.dimensions else None
    term_lists = load_term_lists([options.terms] if options.terms else None, wanted)
    texts, labels, source = read_eval_texts(run, options)
    label_ids = label_indices(run, labels, source).tolist() if labels else None
    templates = read_templates() if options.templates else []
    plan: list[tuple[str, str, list[Item], list[int | None]]] = []
    for terms in term_lists:
        items, ids = text_items(terms, texts, label_ids)
        plan.append((terms.dimension, "texts", items, ids))
        if templates:
            filled = template_items(terms, templates)
            plan.append((terms.dimension, "templates", filled, [None] * len(filled)))
    unique = sorted({t for _, _, items, _ in plan for item in items for t in item.values()})
    log(f"scoring {len(unique)} counterfactual variants with the run ...")
    table = dict(zip(unique, probabilities(run, unique)))
    score_name = run.label_names[column] if column is not None else "predicted class"
    report: dict[str, Any] = {
        "run": str(run.path),
        "eval_data": source,
        "eval_texts": len(texts),
        "score": f"P({score_name})",
        "dimensions": {},
    }
    groups_of = {t.dimension: t.groups for t in term_lists}
    for dimension, kind, items, ids in plan:
        entry = report["dimensions"].setdefault(dimension, {"groups": groups_of[dimension]})
        entry[kind] = summarise_items(items, groups_of[dimension], table, column, ids, options.seed) if items else {"items": 0}
    if options.eec:
        from headstart.audit.eec import audit_eec

        report["eec"] = audit_eec(run, options.eec, column, options.seed, log)
    if options.crows_pairs:
        from headstart.audit.crows_pairs import audit_crows_pairs

        report["crows_pairs"] = audit_crows_pairs(run_base(run), options.crows_pairs, options.crows_pairs_limit, options.seed, log)
    report["summary"] = summary_lines(report)
    return report


def summary_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"counterfactual bias audit of {report['run']} ({report['eval_texts']} eval texts from {report['eval_data']}); score = {report['score']}"]
    for dimension, entry in report["dimensions"].items():
        for kind in ("texts", "templates"):
            stats = entry.get(kind)
            if not stats:
                continue
            if not stats["items"]:
                lines.append(f"{dimension} ({kind}): no item mentions any {dimension} term")
                continue
            groups = "; ".join(f"{g} {format_ci(s)}" for g, s in stats["mean_score"].items())
            gap = f"; gap {stats['score_gap']['gap']:.3f} [{stats['score_gap']['low']:.3f}, {stats['score_gap']['high']:.3f}]" if "score_gap" in stats else ""
            lines.append(f"{dimension} ({kind}, {stats['items']} items): flip rate {format_ci(stats['flip_rate'])}; mean score {groups}{gap}")
    if "eec" in report:
        lines.extend(report["eec"]["summary"])
    if "crows_pairs" in report:
        lines.extend(report["crows_pairs"]["summary"])
    return lines


def run_base(run: LoadedRun) -> str:
    """The base model a run was trained from: its catalog name, else its folder when that still exists."""
    from headstart.catalog.entries import CATALOG

    base = run.record.get("base") or {}
    location = base.get("location")
    if base.get("name") not in CATALOG and location and Path(location).is_dir():
        return str(location)
    if not base.get("name"):
        from headstart.errors import RunDirError

        raise RunDirError(f"{run.path}: the run record names no base model, so CrowS-Pairs has nothing to score. Give the base instead of the run.")
    return str(base["name"])


def write_bias(report: dict[str, Any], out: Path) -> Path:
    from headstart.runs.atomic import atomic_write_json

    out.mkdir(parents=True, exist_ok=True)
    path = out / "bias.json"
    atomic_write_json(path, report)
    return path
