"""``headstart compress``: int8 and ONNX copies of a run, each a run directory, with a comparison table."""

from __future__ import annotations

import argparse
import sys

from headstart.errors import ConfigError

from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.deploy.compress import CompressOptions
from headstart.deploy.distill import DistillOptions


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compress",
        help="write int8 / ONNX copies or a distilled student of a run that predict, eval and serve accept",
        description="Write a smaller or faster copy of a run as a new run directory (RUN_DIR-int8, RUN_DIR-onnx, RUN_DIR-onnx-int8), "
        "or distill it into a smaller student (--distill-to BASE: RUN_DIR-distilled-BASE), "
        "and print its size, latency, throughput and (with --eval-data) accuracy next to the original's. "
        "With --distill-to and a format, the student is distilled first, then compressed.",
    )
    parser.add_argument("run_dir", help="run directory written by 'headstart train'")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags given here win)")
    add_dataclass_arguments(parser, CompressOptions)
    add_dataclass_arguments(parser, DistillOptions)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.deploy.compress import compress_run

    options = build_dataclass(CompressOptions, args)
    distill = build_dataclass(DistillOptions, args)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    source = args.run_dir
    if distill.distill_to:
        from headstart.deploy.distill import distill_run

        if options.output and options.formats():
            raise ConfigError("--output names the distilled student's folder; with a format as well, leave it out (the student goes to RUN_DIR-distilled-BASE, its copies beside it).")
        distilled = distill_run(args.run_dir, distill, options.output, options.overwrite, options.eval_data, options.batch_size, options.text_column, options.label_column, options.encoding, log=log)
        print(distilled.table)
        print(f"distilled: {distilled.output}  (try: headstart predict {distilled.output} \"some text\")")
        if not options.formats():
            return 0
        source = distilled.output
    result = compress_run(source, options, log=log)
    print(result.table)
    for fmt, path in result.outputs.items():
        print(f"{fmt}: {path}  (try: headstart predict {path} \"some text\")")
    return 0
