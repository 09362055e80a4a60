"""The model card (README.md of a run): Hugging Face YAML metadata plus Mitchell et al. sections.

Every section is filled from what the run measured; where nothing was measured
the section says so and names the command that would fill it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml

from headstart.audit.card_sections import data_quality_section, domain_section, factors_section
from headstart.audit.stats import confusion_cis, format_ci


@dataclass
class CardExtras:
    """What the run directory holds beyond the training outputs; each fills a card section when present."""

    audit: dict[str, Any] | None = None
    """audit.json of ``audit-data`` (training writes the cheap checks)."""
    suspects: list[dict[str, str]] = field(default_factory=list)
    bias: dict[str, Any] | None = None
    """bias.json of ``audit-bias``."""
    diagnosis: dict[str, Any] | None = None
    """diagnosis.json of ``diagnose --run``."""
    report: bool = False
    """report.html is in the folder."""
    run_dir: str = "RUN_DIR"
    """How commands in the card name the run directory."""


METHOD_TEXT = {
    "full": "every weight trained",
    "head": "encoder frozen, new output layer trained",
    "lora": "low-rank adapters (LoRA) on the attention projections plus the new output layer trained; base weights frozen",
    "contrastive": "encoder tuned contrastively on same/different-label pairs (SetFit-style), then a logistic-regression output layer fitted on its embeddings",
}


def _metadata(record: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    base = record["base"]
    results = []
    for split in ("test", "validation"):
        if split in metrics:
            results.append(
                {
                    "task": {"type": "text-classification", "name": "Text Classification"},
                    "dataset": {"name": record["data"]["name"], "type": record["data"]["name"], "split": split},
                    "metrics": [
                        {"type": "accuracy", "value": round(metrics[split]["accuracy"], 4), "name": "Accuracy"},
                        {"type": "f1", "value": round(metrics[split]["macro_f1"], 4), "name": "Macro F1", "args": {"average": "macro"}},
                    ],
                }
            )
    meta: dict[str, Any] = {
        "library_name": "transformers",
        "pipeline_tag": "text-classification",
        "tags": ["headstart", "text-classification", f"method-{record['train']['method']}"] + (["sentence-pairs"] if record["data"].get("text_pair_column") else []),
        "metrics": ["accuracy", "f1"],
        "model-index": [{"name": record["run_name"], "results": results}],
    }
    if base.get("hub_id"):
        meta["base_model"] = base["hub_id"]
    if base.get("license"):
        meta["license"] = base["license"].lower() if base["license"].lower().startswith("apache") else "other"
    return meta


def _table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render_card(record: dict[str, Any], metrics: dict[str, Any], label_counts: dict[str, dict[str, int]] | None = None, extras: CardExtras | None = None) -> str:
    """Markdown text of the card for a classification run.

    Args:
        record: The run record (headstart.yaml).
        metrics: metrics.json.
        label_counts: Examples per label of each split [default: recorded in ``record['data']['label_counts']``].
        extras: Audit, diagnosis and report outputs found in the run directory.
    """
    extras = extras or CardExtras()
    label_counts = label_counts or record["data"].get("label_counts") or {}
    train = record["train"]
    base = record["base"]
    loop = record["result"]
    front = yaml.safe_dump(_metadata(record, metrics), sort_keys=False, allow_unicode=True)
    labels = record["labels"]
    split_rows = [
        [split, str(m["n_examples"]), *_with_ci(m)]
        for split, m in metrics.items()
        if isinstance(m, dict) and "accuracy" in m
    ]
    main_split = "test" if "test" in metrics else "validation"
    per_class = metrics[main_split]["per_class"]
    class_rows = [
        [name, str(v["support"]), f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}"]
        for name, v in sorted(per_class.items(), key=lambda kv: kv[1]["f1"])
    ]
    data_rows = [[split, str(sum(c.values())), str(len(c))] for split, c in label_counts.items()]
    warnings = record.get("data_warnings", [])
    train_file = record["data"]["train"]
    report_link = (
        f"\n\nThe run's report — learning curve, confusion matrix, calibration, per-group results and suspect rows — is [report.html](report.html) in this folder."
        if extras.report
        else f"\n\nNo report.html in this folder: run `headstart report {extras.run_dir}`."
    )
    interrupted = "\n\n**This run was interrupted (Ctrl-C)**; the card describes the best model saved before the interruption." if loop.get("interrupted") else ""
    worst = class_rows[: min(5, len(class_rows))]
    pair_column = record["data"].get("text_pair_column")
    kind = "sentence-pair classifier" if pair_column else "text classifier"
    inputs = f"pairs of texts (columns `{record['data'].get('text_column')}` and `{pair_column}`, encoded together as one pair input)" if pair_column else "texts"
    example = '{"text": "first text", "text_pair": "second text"}' if pair_column else '"your text here"'
    cli_example = '"first text" --pair "second text"' if pair_column else '"your text"'
    parts = [
        f"---\n{front}---\n",
        f"# {record['run_name']}\n",
        f"A {len(labels)}-class {kind} fine-tuned with [headstart](https://pypi.org/project/headstart/) "
        f"from `{base['name']}`{' (' + base['hub_id'] + ')' if base.get('hub_id') else ''}.{interrupted}{report_link}\n",
        "## Model details\n",
        f"- Base model: `{base['name']}` ({base.get('architecture') or 'local folder ' + base['location']})\n"
        f"- Method: `{train['method']}` — {METHOD_TEXT.get(train['method'], train['method'])}; "
        f"{record['parameters']['trainable']:,} of {record['parameters']['total']:,} parameters trained\n"
        + (f"- Method chosen by `--method auto`: {train['method_choice']['reason']}\n" if train.get("method_choice") else "") +
        f"- Output layer: replaced by a new {len(labels)}-way classification head\n"
        f"- Labels: {', '.join(f'`{l}`' for l in labels[:30])}{' …' if len(labels) > 30 else ''}\n"
        f"- Trained on {record['machine']['cpu']} ({record['machine']['cpu_count']} cores, GPU: {record['machine']['gpu']}) "
        f"in {loop['train_seconds']:.0f} s; headstart {record['versions'].get('headstart')}, transformers {record['versions'].get('transformers')}, torch {record['versions'].get('torch')}\n",
        "## Intended use\n",
        f"Assigning one of the {len(labels)} labels above to {inputs} like those in the training data "
        f"(`{record['data']['train']}`). Inputs longer than {train['max_length']} tokens are truncated.\n\n"
        "Out of scope: texts from another domain, language or label set than the training data; decisions about people "
        "made without human review; any use where a wrong label causes harm and no one checks.\n",
        "## How to use\n",
        ("This folder holds a LoRA adapter and the classification head trained with it. `headstart predict` and `headstart eval` "
         "use it directly; `headstart merge THIS_FOLDER` writes a plain transformers model for the snippet below.\n\n" if train["method"] == "lora" else "")
        + "```python\nfrom transformers import pipeline\nclassifier = pipeline(\"text-classification\", model=\"PATH/TO/THIS/FOLDER\")\n"
        f"classifier({example})\n```\n\nor `headstart predict PATH/TO/THIS/FOLDER {cli_example}`.\n",
        "## Training data\n",
        _data_text(label_counts, data_rows, extras.audit, extras.run_dir)
        + ("Validation was a stratified " + f"{record['data']['validation_fraction']:.0%} of the training file (seed {record['data']['split_seed']})." if record["data"]["validation_from_train"] else f"Validation file: `{record['data']['validation']}`.")
        + "\n",
        "## Training procedure\n",
        _table(
            [[k, f"`{v}`"] for k, v in train.items()],
            ["hyperparameter", "value"],
        )
        + f"\n\nPrecision: {record['mixed_precision']}. Best epoch {loop['best_epoch']} of {loop['epochs_run']} "
        f"(validation {train['metric']} {loop['best_metric']:.4f}){'; stopped early' if loop.get('stopped_early') else ''}. "
        + _seed_text(metrics)
        + _stages_text(record.get("stages"))
        + "\n",
        "## Evaluation results\n",
        "Metrics: accuracy and macro-F1 (the mean of per-class F1 over the classes present, so rare classes count as much as common ones); "
        "intervals are bootstrap 95% over the examples of the split (1,000 resamples of the confusion matrix).\n\n"
        + _table(split_rows, ["split", "examples", "accuracy [95% CI]", "macro-F1 [95% CI]"]) + "\n\n"
        f"Per class on {main_split} (weakest first):\n\n" + _table(class_rows, ["label", "support", "precision", "recall", "F1"]) + "\n\n"
        + _calibration_text(metrics)
        + f"Confusion matrices: `confusion_matrix_{main_split}.png`.\n",
        "## Factors and disaggregated results\n",
        factors_section(extras.bias, extras.run_dir),
        "## Data-quality findings\n",
        ("Checks run before training:\n\n" + "\n".join(f"- {w}" for w in warnings) + "\n\n" if warnings else "")
        + data_quality_section(extras.audit, extras.suspects, train_file, run_dir=extras.run_dir),
        "## Domain fit\n",
        domain_section(extras.diagnosis, base["name"], train_file, extras.run_dir, record.get("diagnosis")),
        "## Limitations\n",
        f"- Scores come from {metrics[main_split]['n_examples']} {main_split} examples; with few examples they vary by several points between runs and samples.\n"
        f"- The weakest classes ({', '.join(r[0] for r in worst)}) are where errors concentrate.\n"
        "- The model inherits the biases of its base model's pre-training text and of the training labels.\n"
        "- Confidence scores are softmax outputs, not calibrated probabilities.\n"
        + ("" if extras.bias else "- Behaviour across groups of people was not audited (see Factors).\n"),
    ]
    return "\n".join(parts)


def _with_ci(split_metrics: dict[str, Any]) -> list[str]:
    """Accuracy and macro-F1 cells, with bootstrap intervals when the split has a confusion matrix."""
    if "confusion_matrix" not in split_metrics:
        return [f"{split_metrics['accuracy']:.4f}", f"{split_metrics['macro_f1']:.4f}"]
    cis = confusion_cis(split_metrics["confusion_matrix"])
    return [format_ci(cis["accuracy"]), format_ci(cis["macro_f1"])]


def _data_text(label_counts: dict[str, dict[str, int]], data_rows: list[list[str]], audit: dict[str, Any] | None, run_dir: str) -> str:
    counts = label_counts.get("train")
    if not counts:
        return f"Examples per split were not recorded in this run's headstart.yaml; `headstart audit-data TRAIN_FILE --out {run_dir}` counts them. "
    smallest, largest = min(counts.values()), max(counts.values())
    lengths = ""
    truncation = (audit or {}).get("truncation") or {}
    if truncation.get("by_split"):
        parts = [f"{name} 95th percentile {v['p95_tokens']}, longest {v['max_tokens']}, {v['n_truncated']} truncated" for name, v in truncation["by_split"].items()]
        lengths = f"Text length in tokens ({truncation['base']} tokenizer, limit {truncation['max_length']}): " + "; ".join(parts) + ". "
    return (
        _table(data_rows, ["split", "examples", "classes"]) + "\n\n"
        f"Training classes: {len(counts)}, smallest {smallest}, largest {largest} examples (imbalance ratio {largest / max(smallest, 1):.1f}). "
        + lengths
    )


def _calibration_text(metrics: dict[str, Any]) -> str:
    calibration = (metrics.get("calibration") or {}).get("validation")
    if not calibration:
        return ""
    return (
        f"Calibration on {calibration['n']} validation examples: expected calibration error (ECE, 10 bins) {calibration['ece']:.4f} "
        "(0 = confidences match accuracy); reliability diagram in report.html.\n\n"
    )


def _stages_text(stages: dict[str, Any] | None) -> str:
    """What the contrastive stage did (passes, word-piece deletion) and the optional stages after it (end-to-end,
    self-training): what ran and whether it was kept."""
    if not stages:
        return ""
    text = ""
    if "contrastive" in stages:
        stage, deletion = stages["contrastive"], stages["contrastive"].get("token_deletion") or {}
        text += f"\n\nContrastive stage: {stage['passes']} passes over {stage['examples']} labeled examples"
        text += f"; {deletion['reason']}." if deletion else "."
    lines = []
    if "end_to_end" in stages:
        e2e = stages["end_to_end"]
        outcome = "kept" if e2e["kept"] else f"not kept (no improvement on {e2e['validation_before']:.4f} before it)"
        lines.append(f"- End-to-end fine-tuning of encoder and head ({e2e['epochs_run']} epoch(s)): best validation {e2e['validation_best']:.4f}, {outcome}.")
    if "self_training" in stages:
        st = stages["self_training"]
        lines.append(
            f"- Self-training on `{st['file']}`: {st['usable']} usable unlabeled texts ({st['dropped_in_validation_or_test']} dropped as also in validation/test), "
            f"{st['pseudo_labels']} pseudo-labeled with probability ≥ {st['threshold']}; validation {st['validation_before']:.4f} → {st['validation_after']:.4f}, "
            f"{'kept' if st['kept'] else 'not kept (validation got worse)'}."
        )
    return text + ("\n\nStages after contrastive training:\n\n" + "\n".join(lines) if lines else "")


def _seed_text(metrics: dict[str, Any]) -> str:
    seeds = metrics.get("seeds")
    if not seeds:
        return "One seed: the spread between runs was not measured (run with `--seeds 5` to measure it)."
    rows = [
        [split, f"{s['accuracy']['mean']:.4f} ± {s['accuracy']['std']:.4f}", f"{s['macro_f1']['mean']:.4f} ± {s['macro_f1']['std']:.4f}"]
        for split, s in seeds["summary"].items()
    ]
    return (
        f"Trained with {len(seeds['runs'])} seeds ({', '.join(str(r['seed']) for r in seeds['runs'])}); this folder holds seed "
        f"{seeds['kept_seed']}, the best on validation. Mean ± standard deviation over seeds:\n\n" + _table(rows, ["split", "accuracy", "macro-F1"])
    )


def label_counts(labels: list[str]) -> dict[str, int]:
    return dict(Counter(labels))
