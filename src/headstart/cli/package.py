"""``headstart package``: a run as a pip-installable wheel with a load() function."""

from __future__ import annotations

import argparse

from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.deploy.wheel import PackageOptions


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "package",
        help="build a pip-installable wheel of a run (import it, call load())",
        description="Build NAME-VERSION-py3-none-any.whl holding the run's model and a load() function that needs only "
        "transformers and torch. Install it offline with: pip install dist/NAME-VERSION-py3-none-any.whl",
    )
    parser.add_argument("run_dir", help="run directory written by 'headstart train'")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags given here win)")
    add_dataclass_arguments(parser, PackageOptions)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.deploy.wheel import build_wheel

    wheel = build_wheel(args.run_dir, build_dataclass(PackageOptions, args))
    module = wheel.name.split("-")[0]
    print(f"wheel written to {wheel}")
    print(f"install: pip install {wheel}")
    print(f"use:     import {module}; {module}.load()([\"some text\"])")
    return 0
