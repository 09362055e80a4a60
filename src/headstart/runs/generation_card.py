"""The model card (README.md) of a text-to-text run: Hugging Face metadata plus Mitchell et al. sections."""

from __future__ import annotations

from typing import Any

import yaml

from headstart.runs.card import _table

METHOD_TEXT = {
    "full": "every weight trained",
    "lora": "low-rank adapters (LoRA) on the attention projections trained; base weights frozen",
}


TRAIN_KEYS = ("method", "epochs", "learning_rate", "schedule", "batch_size", "weight_decay", "warmup_ratio", "max_length", "patience", "seed", "precision", "max_grad_norm")
LORA_KEYS = ("lora_r", "lora_alpha", "lora_dropout")


def _hyperparameters(train: dict[str, Any], gen: dict[str, Any]) -> dict[str, Any]:
    """The options that shape a generator (the classification-only ones are left out)."""
    keys = TRAIN_KEYS + (LORA_KEYS if train["method"] == "lora" else ())
    return {**{k: train[k] for k in keys if k in train}, "max_target_length": gen["max_target_length"], "select_by": gen["select_by"]}


def _metadata(record: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    results = [
        {
            "task": {"type": "text2text-generation", "name": "Text-to-text generation"},
            "dataset": {"name": record["data"]["name"], "type": record["data"]["name"], "split": split},
            "metrics": [{"type": name, "value": round(metrics[split][name], 4), "name": label} for name, label in (("rouge1", "ROUGE-1"), ("rouge2", "ROUGE-2"), ("rougeL", "ROUGE-L"), ("exact_match", "Exact match"))],
        }
        for split in ("test", "validation")
        if split in metrics and "rouge1" in metrics[split]
    ]
    meta: dict[str, Any] = {
        "library_name": "peft" if record["train"]["method"] == "lora" else "transformers",
        "pipeline_tag": "text-generation" if record["model_kind"] == "decoder" else "text2text-generation",
        "tags": ["headstart", "text2text-generation", f"method-{record['train']['method']}"],
        "metrics": ["rouge", "exact_match"],
        "model-index": [{"name": record["run_name"], "results": results}],
    }
    base = record["base"]
    if base.get("hub_id"):
        meta["base_model"] = base["hub_id"]
    if base.get("license"):
        meta["license"] = base["license"].lower() if base["license"].lower().startswith("apache") else "other"
    return meta


def render_generation_card(record: dict[str, Any], metrics: dict[str, Any]) -> str:
    """Markdown text of the card for a text-to-text run."""
    train, base, loop, data, gen = record["train"], record["base"], record["result"], record["data"], record["generation"]
    method = train["method"]
    score_rows = [
        [split, str(m["n_examples"]), f"{m['rouge1']:.4f}", f"{m['rouge2']:.4f}", f"{m['rougeL']:.4f}", f"{m['exact_match']:.4f}", f"{m['mean_prediction_words']:.1f} / {m['mean_reference_words']:.1f}"]
        for split, m in metrics.items()
        if isinstance(m, dict) and "rouge1" in m
    ]
    main_split = "test" if "test" in metrics else "validation"
    n_scored = metrics.get(main_split, {}).get("n_examples", 0)
    warnings = record.get("data_warnings", [])
    front = yaml.safe_dump(_metadata(record, metrics), sort_keys=False, allow_unicode=True)
    kind = "decoder fine-tuned on prompt → completion pairs (loss on the completion only)" if record["model_kind"] == "decoder" else "encoder-decoder (seq2seq) model fine-tuned on input → target pairs"
    interrupted = "\n\n**This run was interrupted (Ctrl-C)**; the card describes the best model saved before the interruption." if loop.get("interrupted") else ""
    parts = [
        f"---\n{front}---\n",
        f"# {record['run_name']}\n",
        f"A text-to-text generator: `{base['name']}`{' (' + base['hub_id'] + ')' if base.get('hub_id') else ''}, a {kind}, "
        f"trained with [headstart](https://pypi.org/project/headstart/).{interrupted}\n",
        "## Model details\n",
        f"- Base model: `{base['name']}` ({base.get('architecture') or 'local folder ' + base['location']})\n"
        f"- Method: `{method}` — {METHOD_TEXT.get(method, method)}; {record['parameters']['trainable']:,} of {record['parameters']['total']:,} parameters trained\n"
        f"- Prompt template: `{gen['prompt_template']!r}`; greedy decoding, at most {gen['max_new_tokens']} new tokens"
        f"{', cut at ' + repr(gen['stop']) if gen.get('stop') else ''}\n"
        f"- Trained on {record['machine']['cpu']} ({record['machine']['cpu_count']} cores, GPU: {record['machine']['gpu']}) in {loop['train_seconds']:.0f} s; "
        f"headstart {record['versions'].get('headstart')}, transformers {record['versions'].get('transformers')}, torch {record['versions'].get('torch')}\n",
        "## Intended use\n",
        f"Producing `{data['target_column']}` texts from `{data['input_column']}` texts like those in `{data['train']}`. "
        f"Inputs longer than {train['max_length']} tokens are truncated.\n\n"
        "Out of scope: inputs from another domain or language; any use where generated text is published or acted on without a "
        "person checking it (generators state things that are not in the input).\n",
        "## How to use\n",
        f"`headstart generate PATH/TO/THIS/FOLDER \"your input\"` (or `--file inputs.jsonl --out outputs.jsonl`); "
        f"`headstart eval PATH/TO/THIS/FOLDER pairs.jsonl` scores it on input/target pairs."
        + (" This folder holds a LoRA adapter; the base model is loaded from the headstart catalog or its folder." if method == "lora" else "")
        + "\n",
        "## Training data\n",
        _table([[name, str(size)] for name, size in data["sizes"].items()], ["split", "examples"]) + "\n\n"
        + (f"Validation was a random {data['validation_fraction']:.0%} of the training file (seed {data['split_seed']})." if data["validation_from_train"] else f"Validation file: `{data['validation']}`.")
        + "\n",
        "## Training procedure\n",
        _table([[k, f"`{v}`"] for k, v in _hyperparameters(train, gen).items()], ["hyperparameter", "value"])
        + f"\n\nPrecision: {record['mixed_precision']}. Best epoch {loop['best_epoch']} of {loop['epochs_run']} selected by validation "
        f"{'ROUGE-L' if gen['select_by'] == 'rougeL' else 'loss'}.\n",
        "## Evaluation results\n",
        (_table(score_rows, ["split", "examples", "ROUGE-1", "ROUGE-2", "ROUGE-L", "exact match", "words (generated / reference)"]) if score_rows else "No split was scored.")
        + "\n\nROUGE F-measures from `rouge-score` with the Porter stemmer; exact match after lower-casing and removing punctuation. "
        + "Generations are in `predictions_*.jsonl`.\n",
        "## Data-quality findings\n",
        ("\n".join(f"- {w}" for w in warnings) if warnings else "No problems found by the checks run before training (empty inputs or targets, train/eval leakage).") + "\n",
        "## Limitations\n",
        f"- Scores come from {n_scored} {main_split} examples and one seed; ROUGE rewards word overlap, not faithfulness.\n"
        "- Generated text can be fluent and wrong (hallucinated names, numbers, events); check it against the input.\n"
        "- The model inherits the biases of its base model's pre-training text and of the training targets.\n",
    ]
    return "\n".join(parts)
