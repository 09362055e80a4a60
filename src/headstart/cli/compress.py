"""``headstart compress``: int8 and ONNX copies of a run, each a run directory, with a comparison table."""

from __future__ import annotations

import argparse
import sys

from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.deploy.compress import CompressOptions


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compress",
        help="write int8 / ONNX copies of a run that predict, eval and serve accept",
        description="Write a smaller or faster copy of a run as a new run directory (RUN_DIR-int8, RUN_DIR-onnx, RUN_DIR-onnx-int8), "
        "and print its size, latency, throughput and (with --eval-data) accuracy next to the original's.",
    )
    parser.add_argument("run_dir", help="run directory written by 'headstart train'")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags given here win)")
    add_dataclass_arguments(parser, CompressOptions)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.deploy.compress import compress_run

    options = build_dataclass(CompressOptions, args)
    result = compress_run(args.run_dir, options, log=lambda m: print(m, file=sys.stderr))
    print(result.table)
    for fmt, path in result.outputs.items():
        print(f"{fmt}: {path}  (try: headstart predict {path} \"some text\")")
    return 0
