"""``headstart`` entry point: subcommands, and user-facing error handling."""

from __future__ import annotations

import argparse
import importlib
import sys

from headstart.cli.args import apply_config_file
from headstart.errors import HeadstartError

COMMAND_MODULES = ("train", "predict", "evaluate", "models", "merge", "audit_data", "audit_bias", "report", "adapt", "compress", "serve", "package", "pretrain", "diagnose", "curve", "generate", "prompt")
"""Each module under headstart.cli has register(subparsers) and sets a handler."""


def build_parser() -> argparse.ArgumentParser:
    from headstart import __version__

    parser = argparse.ArgumentParser(
        prog="headstart",
        description="Adapt a pre-trained language model to your task with a few hundred labeled examples, offline.",
    )
    parser.add_argument("--version", action="version", version=f"headstart {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"headstart.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    try:
        if argv and argv[0] in subcommands:
            apply_config_file(subcommands[argv[0]], argv)
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return int(args.handler(args) or 0)
    except HeadstartError as err:
        print(f"headstart: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("headstart: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
