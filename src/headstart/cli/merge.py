"""``headstart merge``: fold a LoRA run's adapters into a plain transformers model."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from headstart.errors import RunDirError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("merge", help="write a LoRA run as a plain merged model", description="Merge a --method lora run's adapters and head into a plain transformers model directory.")
    parser.add_argument("run_dir", help="a run trained with --method lora")
    parser.add_argument("--output", "-o", metavar="DIR", help="where to write [default: RUN_DIR-merged]")
    parser.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import yaml

    from headstart.models.loading import without_gguf
    from headstart.models.lora import merge_lora
    from headstart.runs.atomic import RUN_MARKER, StagedDirectory, atomic_write_text
    from headstart.runs.load import load_run

    source = Path(args.run_dir)
    if not (source / "adapter_config.json").is_file():
        raise RunDirError(f"{source}: has no adapter_config.json, so it is not a --method lora run; it is already a plain model.")
    loaded = load_run(source)
    merged = without_gguf(merge_lora(loaded.model))  # a GGUF base (smollm2-135m) otherwise refuses to save
    output = Path(args.output) if args.output else source.with_name(source.name + "-merged")
    with StagedDirectory(output, args.overwrite) as stage:
        merged.save_pretrained(stage, safe_serialization=True)
        loaded.tokenizer.save_pretrained(stage)
        for name in source.iterdir():
            if name.is_file() and not name.name.startswith("adapter_") and name.name not in {RUN_MARKER, "README.md"} and not (stage / name.name).exists():
                shutil.copy2(name, stage / name.name)
        card = (source / "README.md").read_text(encoding="utf-8")
        atomic_write_text(stage / "README.md", card.replace("tags:\n", "tags:\n- lora-merged\n", 1))
        record = dict(loaded.record, merged_from=str(source))
        atomic_write_text(stage / RUN_MARKER, yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
    print(f"merged model written to {output}")
    return 0
