"""The model card (README.md) of a token-classification run: Hugging Face metadata plus Mitchell et al. sections."""

from __future__ import annotations

from typing import Any

import yaml

from headstart.runs.card import METHOD_TEXT, _table


UNUSED_OPTIONS = ("pooling", "metric", "class_weights", "seeds", "contrastive_passes", "contrastive_token_deletion", "contrastive_end_to_end", "pseudo_label_threshold", "pseudo_label_ratio")
"""Training options of the classification path that do not apply to token runs (left out of the card)."""


def _metadata(record: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    base = record["base"]
    results = []
    for split in ("test", "validation"):
        if split in metrics:
            m = metrics[split]
            results.append(
                {
                    "task": {"type": "token-classification", "name": "Token Classification"},
                    "dataset": {"name": record["data"]["name"], "type": record["data"]["name"], "split": split},
                    "metrics": [
                        {"type": "f1", "value": round(m["f1"], 4), "name": "Entity F1 (micro, seqeval)"},
                        {"type": "precision", "value": round(m["precision"], 4), "name": "Entity precision"},
                        {"type": "recall", "value": round(m["recall"], 4), "name": "Entity recall"},
                    ],
                }
            )
    meta: dict[str, Any] = {
        "library_name": "transformers",
        "pipeline_tag": "token-classification",
        "tags": ["headstart", "token-classification", "ner", f"method-{record['train']['method']}"],
        "metrics": ["f1", "precision", "recall"],
        "model-index": [{"name": record["run_name"], "results": results}],
    }
    if base.get("hub_id"):
        meta["base_model"] = base["hub_id"]
    if base.get("license"):
        meta["license"] = base["license"].lower() if base["license"].lower().startswith("apache") else "other"
    return meta


def render_token_card(record: dict[str, Any], metrics: dict[str, Any]) -> str:
    """Markdown text of the card for a token-classification run."""
    train, base, loop, data = record["train"], record["base"], record["result"], record["data"]
    types = record["entity_types"]
    front = yaml.safe_dump(_metadata(record, metrics), sort_keys=False, allow_unicode=True)
    main_split = "test" if "test" in metrics else "validation"
    split_rows = [[s, str(m["n_sentences"]), str(m["n_entities"]), f"{m['precision']:.4f}", f"{m['recall']:.4f}", f"{m['f1']:.4f}"] for s, m in metrics.items() if isinstance(m, dict) and "f1" in m]
    per_type = sorted(metrics[main_split]["per_type"].items(), key=lambda kv: kv[1]["f1"])
    type_rows = [[k, str(v["support"]), str(v["predicted"]), f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}"] for k, v in per_type]
    data_rows = [[s, str(c["sentences"]), str(c["tokens"]), str(c["entities"]), ", ".join(f"{k} {n}" for k, n in c["per_type"].items())] for s, c in data["splits"].items()]
    schemes = ", ".join(f"{split}: {scheme.upper()}" for split, scheme in data["schemes_read"].items())
    warnings = record.get("data_warnings", [])
    interrupted = "\n\n**This run was interrupted (Ctrl-C)**; the card describes the best model saved before the interruption." if loop.get("interrupted") else ""
    weakest = [r[0] for r in type_rows[:3]]
    parts = [
        f"---\n{front}---\n",
        f"# {record['run_name']}\n",
        f"A named-entity tagger ({len(types)} entity types) fine-tuned with [headstart](https://pypi.org/project/headstart/) "
        f"from `{base['name']}`{' (' + base['hub_id'] + ')' if base.get('hub_id') else ''}.{interrupted}\n",
        "## Model details\n",
        f"- Base model: `{base['name']}` ({base.get('architecture') or 'local folder ' + base['location']})\n"
        f"- Method: `{train['method']}` — {METHOD_TEXT.get(train['method'], train['method'])}; "
        f"{record['parameters']['trainable']:,} of {record['parameters']['total']:,} parameters trained\n"
        f"- Output layer: a new per-token layer over {len(record['labels'])} BIO tags ({', '.join(f'`{t}`' for t in record['labels'][:25])})\n"
        f"- Words are split into sub-words; {'every sub-word' if train.get('label_all_subwords') else 'the first sub-word of each word'} is trained on the word's tag, and predictions are read from each word's first sub-word\n"
        f"- Trained on {record['machine']['cpu']} ({record['machine']['cpu_count']} cores, GPU: {record['machine']['gpu']}) "
        f"in {loop['train_seconds']:.0f} s; headstart {record['versions'].get('headstart')}, transformers {record['versions'].get('transformers')}, torch {record['versions'].get('torch')}\n",
        "## Intended use\n",
        f"Finding entities of the types {', '.join(f'`{t}`' for t in types)} in text like the training data (`{data['train']}`). "
        f"Sentences longer than {train['max_length']} sub-words are processed in word-aligned windows.\n\n"
        "Out of scope: other entity types, domains or languages than the training data; decisions about people made without human review.\n",
        "## How to use\n",
        "```python\nfrom transformers import pipeline\ntagger = pipeline(\"token-classification\", model=\"PATH/TO/THIS/FOLDER\", aggregation_strategy=\"first\")\n"
        "tagger(\"your text here\")\n```\n\n"
        "or `headstart predict PATH/TO/THIS/FOLDER \"your text\"` (character spans with labels and scores). "
        "headstart splits raw text into words (runs of letters/digits, each symbol apart) before tagging.\n",
        "## Training data\n",
        _table(data_rows, ["split", "sentences", "tokens", "entities", "per type"]) + "\n\n"
        f"Tag schemes read: {schemes}; every split was converted to BIO (IOB2) before training and scoring. "
        + (f"Validation was a random {data['validation_fraction']:.0%} of the training sentences (seed {data['split_seed']}). " if data["validation_from_train"] else f"Validation file: `{data['validation']}`. ")
        + (f"The best epoch was picked on a random sample of {data['max_validation_sentences']} validation sentences (seed {data['split_seed']} + 2). " if data.get("max_validation_sentences") else "")
        + (f"Training used a random sample of {data['max_train_sentences']} sentences (seed {data['split_seed']} + 1)." if data.get("max_train_sentences") else "")
        + "\n",
        "## Training procedure\n",
        _table([[k, f"`{v}`"] for k, v in train.items() if k not in UNUSED_OPTIONS and not k.startswith("lora")], ["hyperparameter", "value"])
        + f"\n\nPrecision: {record['mixed_precision']}. Best epoch {loop['best_epoch']} of {loop['epochs_run']} "
        f"(validation entity F1 {loop['best_metric']:.4f}){'; stopped early' if loop.get('stopped_early') else ''}. One seed: the spread between runs was not measured.\n",
        "## Evaluation results\n",
        "Entity-level scores with seqeval's default (conlleval) conventions: an entity is correct only with the exact span and type; "
        "micro-averaged over entities.\n\n"
        + _table(split_rows, ["split", "sentences", "entities", "precision", "recall", "F1"]) + "\n\n"
        f"Per entity type on {main_split} (weakest first):\n\n" + _table(type_rows, ["type", "support", "predicted", "precision", "recall", "F1"]) + "\n",
        "## Factors and disaggregated results\n",
        "Not measured for this run: results by group (names from different cultures, dialects, topics) need a separate audit. "
        "Do not assume the tagger finds entities equally well for every group of people or kind of text.\n",
        "## Data-quality findings\n",
        ("\n".join(f"- {w}" for w in warnings) if warnings else "No problems found by the checks run before training (column counts, tags outside the scheme, B/I mismatches, unseen types).") + "\n",
        "## Limitations\n",
        f"- Scores come from {metrics[main_split]['n_entities']} {main_split} entities; with few entities they vary by several points between runs.\n"
        f"- The weakest types ({', '.join(weakest)}) are where errors concentrate.\n"
        "- Raw text is split into words by a simple rule that may differ from the training data's tokenization (e.g. `U.S.`), which can move entity boundaries.\n"
        "- Scores are softmax probabilities averaged over an entity's words, not calibrated probabilities.\n",
    ]
    return "\n".join(parts)
