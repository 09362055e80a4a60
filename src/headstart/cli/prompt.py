"""``headstart prompt``: in-context few-shot prompting of a decoder, scored like a trained run (no training)."""

from __future__ import annotations

import argparse
import json
import random
import sys

from headstart.errors import ConfigError
from headstart.models.verbalizer import parse_label_words

PROMPT_BASE = "smollm2-135m"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "prompt",
        help="no-training baseline: k labeled examples in a decoder's prompt (classification or generation)",
        description="GPT-3-style in-context learning. Classification: K demonstrations per class, each class's label word "
        "scored by log-likelihood. Generation: K demonstrations, then greedy continuation (K=0: zero-shot). "
        "Scored on --test (or a held-out part of DATA) with the metrics 'headstart train' reports.",
    )
    parser.add_argument("data", help="labeled file the demonstrations are drawn from (.csv, .tsv, .jsonl, .parquet)")
    parser.add_argument("--test", metavar="PATH", help="file to score [default: a held-out --validation-fraction of DATA]")
    parser.add_argument("--task", choices=("auto", "classification", "text2text"), default="auto", help="[default: auto = from DATA's shape]")
    parser.add_argument("--base", default=PROMPT_BASE, help=f"decoder: catalog name or local folder [default: {PROMPT_BASE}]")
    parser.add_argument("--allow-download", action="store_true", help="allow --base to be a Hugging Face hub id (off by default)")
    parser.add_argument("--shots", type=int, nargs="+", default=[4], metavar="K", help="demonstrations (per class for classification); several values are run in turn [default: 4]")
    parser.add_argument("--seed", type=int, default=0, help="seed of the demonstration draw and of --limit [default: 0]")
    parser.add_argument("--limit", type=int, metavar="N", help="score a seeded random sample of N test examples")
    parser.add_argument("--prompt-template", metavar="TEXT", help="how an example is shown; must contain {input} (escapes like \\n allowed)")
    parser.add_argument("--label-words", metavar="L=WORD,...", help="word the model sees for each label, e.g. '0=negative,1=positive' [default: the labels]")
    parser.add_argument("--text-column", metavar="NAME", help="input text column [default: detected]")
    parser.add_argument("--label-column", metavar="NAME", help="label column (classification) [default: detected]")
    parser.add_argument("--target-column", metavar="NAME", help="target text column (generation) [default: detected]")
    parser.add_argument("--max-length", type=int, metavar="N", help="tokens kept of each input [default: 128 classification, 384 generation]")
    parser.add_argument("--max-new-tokens", type=int, default=64, metavar="N", help="generation: most tokens generated [default: 64]")
    parser.add_argument("--stop", metavar="TEXT", default="\\n\\n", help="generation: cut the output at this string [default: a blank line]")
    parser.add_argument("--batch-size", type=int, default=8, metavar="N", help="sequences per forward pass [default: 8]")
    parser.add_argument("--validation-fraction", type=float, default=0.15, metavar="X", help="share of DATA held out as the test set when --test is not given [default: 0.15]")
    parser.add_argument("--encoding", default="utf-8", help="encoding of the files [default: utf-8]")
    parser.add_argument("--out", metavar="PATH", help="write the metrics (one entry per --shots value) as JSON here")
    parser.set_defaults(handler=run)


def _sample(n: int, limit: int | None, seed: int) -> list[int]:
    if limit is None or limit >= n:
        return list(range(n))
    return sorted(random.Random(seed).sample(range(n), limit))


def run(args: argparse.Namespace) -> int:
    from headstart.catalog.resolve import resolve_base
    from headstart.data.classification import DataSpec, load_classification_data
    from headstart.data.detect import detect_task
    from headstart.data.text2text import load_text2text_data
    from headstart.evaluation.generation import generation_headline
    from headstart.evaluation.metrics import headline
    from headstart.runs.atomic import atomic_write_json
    from headstart.tasks.generation import template_text
    from headstart.tasks.prompting import load_prompt_model, prompt_classify, prompt_generate

    if any(k < 0 for k in args.shots) or args.batch_size < 1 or (args.limit is not None and args.limit < 1):
        raise ConfigError("--shots must be 0 or more, --batch-size and --limit at least 1.")
    task = detect_task(args.data, args.encoding) if args.task == "auto" else args.task
    if task not in ("classification", "text2text"):
        raise ConfigError(f"{args.data} looks like '{task}' data; prompting supports classification and text2text. Pass --task to override.")
    spec = DataSpec(train=args.data, test=args.test, text_column=args.text_column, label_column=args.label_column, encoding=args.encoding, validation_fraction=args.validation_fraction)
    log = lambda message: print(message, file=sys.stderr)  # noqa: E731
    results: dict[str, dict] = {}
    if task == "classification":
        data = load_classification_data(spec)
        scored = data.test if data.test is not None else data.validation
        scored = scored.subset(_sample(len(scored), args.limit, args.seed), scored.name)
        model = load_prompt_model(resolve_base(args.base, args.allow_download))
        for shots in args.shots:
            metrics = prompt_classify(model, data.train, scored, data.label_names, shots, args.seed, args.prompt_template, parse_label_words(args.label_words), args.max_length or 128, args.batch_size, log)
            results[str(shots)] = metrics
            print(f"{shots}-shot per class ({metrics['prompt']['demonstrations']} demonstrations): {headline(metrics)}")
    else:
        if args.label_column:
            raise ConfigError("--label-column is for classification; name the target text column with --target-column.")
        data = load_text2text_data(spec, args.target_column)
        scored = data.test if data.test is not None else data.validation
        scored = scored.subset(_sample(len(scored), args.limit, args.seed), scored.name)
        model = load_prompt_model(resolve_base(args.base, args.allow_download))
        stop = template_text(args.stop) if args.stop else None
        for shots in args.shots:
            metrics, predictions = prompt_generate(model, data.train, scored, shots, args.seed, args.prompt_template, args.max_length or 384, args.max_new_tokens, stop, args.batch_size, log)
            metrics["examples"] = [{"source": s, "target": t, "prediction": p} for s, t, p in list(zip(scored.sources, scored.targets, predictions))[:5]]
            results[str(shots)] = metrics
            print(f"{shots}-shot: {generation_headline(metrics)}")
    if args.out:
        from pathlib import Path

        atomic_write_json(Path(args.out), {"task": task, "base": args.base, "data": args.data, "test": args.test, "results": results})
        print(f"metrics written to {args.out}", file=sys.stderr)
    else:
        print(json.dumps({k: {m: v[m] for m in ("accuracy", "macro_f1", "rouge1", "rouge2", "rougeL", "exact_match", "n_examples") if m in v} for k, v in results.items()}))
    return 0
