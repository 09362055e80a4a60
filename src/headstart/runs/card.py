"""The model card (README.md of a run): Hugging Face YAML metadata plus Mitchell et al. sections.

Every section is filled from what the run measured; where nothing was measured
the section says so and names the command that would fill it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml


METHOD_TEXT = {
    "full": "every weight trained",
    "head": "encoder frozen, new output layer trained",
    "lora": "low-rank adapters (LoRA) on the attention projections plus the new output layer trained; base weights frozen",
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
        "tags": ["headstart", "text-classification", f"method-{record['train']['method']}"],
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


def render_card(record: dict[str, Any], metrics: dict[str, Any], label_counts: dict[str, dict[str, int]]) -> str:
    """Markdown text of the card for a classification run."""
    train = record["train"]
    base = record["base"]
    loop = record["result"]
    front = yaml.safe_dump(_metadata(record, metrics), sort_keys=False, allow_unicode=True)
    labels = record["labels"]
    split_rows = [
        [split, str(m["n_examples"]), f"{m['accuracy']:.4f}", f"{m['macro_f1']:.4f}"]
        for split, m in metrics.items()
        if isinstance(m, dict) and "accuracy" in m
    ]
    main_split = "test" if "test" in metrics else "validation"
    per_class = metrics[main_split]["per_class"]
    class_rows = [
        [name, str(v["support"]), f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}"]
        for name, v in sorted(per_class.items(), key=lambda kv: kv[1]["f1"])
    ]
    counts = label_counts["train"]
    total = sum(counts.values())
    smallest = min(counts.values())
    largest = max(counts.values())
    imbalance = largest / max(smallest, 1)
    data_rows = [[split, str(sum(c.values())), str(len(c))] for split, c in label_counts.items()]
    warnings = record.get("data_warnings", [])
    interrupted = "\n\n**This run was interrupted (Ctrl-C)**; the card describes the best model saved before the interruption." if loop.get("interrupted") else ""
    worst = class_rows[: min(5, len(class_rows))]
    parts = [
        f"---\n{front}---\n",
        f"# {record['run_name']}\n",
        f"A {len(labels)}-class text classifier fine-tuned with [headstart](https://pypi.org/project/headstart/) "
        f"from `{base['name']}`{' (' + base['hub_id'] + ')' if base.get('hub_id') else ''}.{interrupted}\n",
        "## Model details\n",
        f"- Base model: `{base['name']}` ({base.get('architecture') or 'local folder ' + base['location']})\n"
        f"- Method: `{train['method']}` — {METHOD_TEXT.get(train['method'], train['method'])}; "
        f"{record['parameters']['trainable']:,} of {record['parameters']['total']:,} parameters trained\n"
        f"- Output layer: replaced by a new {len(labels)}-way classification head\n"
        f"- Labels: {', '.join(f'`{l}`' for l in labels[:30])}{' …' if len(labels) > 30 else ''}\n"
        f"- Trained on {record['machine']['cpu']} ({record['machine']['cpu_count']} cores, GPU: {record['machine']['gpu']}) "
        f"in {loop['train_seconds']:.0f} s; headstart {record['versions'].get('headstart')}, transformers {record['versions'].get('transformers')}, torch {record['versions'].get('torch')}\n",
        "## Intended use\n",
        f"Assigning one of the {len(labels)} labels above to texts like those in the training data "
        f"(`{record['data']['train']}`). Inputs longer than {train['max_length']} tokens are truncated.\n\n"
        "Out of scope: texts from another domain, language or label set than the training data; decisions about people "
        "made without human review; any use where a wrong label causes harm and no one checks.\n",
        "## How to use\n",
        ("This folder holds a LoRA adapter and the classification head trained with it. `headstart predict` and `headstart eval` "
         "use it directly; `headstart merge THIS_FOLDER` writes a plain transformers model for the snippet below.\n\n" if train["method"] == "lora" else "")
        + "```python\nfrom transformers import pipeline\nclassifier = pipeline(\"text-classification\", model=\"PATH/TO/THIS/FOLDER\")\n"
        "classifier(\"your text here\")\n```\n\nor `headstart predict PATH/TO/THIS/FOLDER \"your text\"`.\n",
        "## Training data\n",
        _table(data_rows, ["split", "examples", "classes"]) + "\n\n"
        f"Training classes: {len(counts)}, smallest {smallest}, largest {largest} examples "
        f"(imbalance ratio {imbalance:.1f}). "
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
        + "\n",
        "## Evaluation results\n",
        _table(split_rows, ["split", "examples", "accuracy", "macro-F1"]) + "\n\n"
        f"Per class on {main_split} (weakest first):\n\n" + _table(class_rows, ["label", "support", "precision", "recall", "F1"]) + "\n\n"
        f"Confusion matrices: `confusion_matrix_{main_split}.png`.\n",
        "## Factors and disaggregated results\n",
        "Not measured for this run: results by group (gender, dialect, topic, …) need a bias audit. "
        "Until then, do not assume the model works equally well for every group of people or kind of text.\n",
        "## Data-quality findings\n",
        ("\n".join(f"- {w}" for w in warnings) if warnings else "No problems found by the checks run before training (empty texts, missing labels, unseen labels, conflicting duplicates, train/eval leakage).")
        + "\n",
        "## Limitations\n",
        f"- Scores come from {metrics[main_split]['n_examples']} {main_split} examples; with few examples they vary by several points between runs and samples.\n"
        f"- The weakest classes ({', '.join(r[0] for r in worst)}) are where errors concentrate.\n"
        "- The model inherits the biases of its base model's pre-training text and of the training labels.\n"
        "- Confidence scores are softmax outputs, not calibrated probabilities.\n",
    ]
    return "\n".join(parts)


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
