"""``headstart audit-bias``: counterfactual term swaps, templates and the EEC on a trained run."""

from __future__ import annotations

import argparse

from headstart.audit.bias import AuditBiasOptions
from headstart.cli.args import add_dataclass_arguments, build_dataclass


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "audit-bias",
        help="counterfactual bias tests of a trained run",
        description="Swap names, pronouns and identity terms between groups (gender, race/ethnicity, religion, nationality, age) "
        "in evaluation texts and template sentences; report prediction flip rates and per-group mean scores with bootstrap "
        "95%% intervals. With --eec, also the Equity Evaluation Corpus. Writes bias.json.",
    )
    parser.add_argument("run_dir", help="run directory written by 'headstart train'")
    parser.add_argument("data", nargs="?", help="evaluation texts [default: the run's validation split]")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags win)")
    add_dataclass_arguments(parser, AuditBiasOptions, skip=("run_dir", "data"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from headstart.audit.bias import audit_bias, write_bias
    from headstart.runs.load import load_run

    options = build_dataclass(AuditBiasOptions, args)
    loaded = load_run(options.run_dir)
    report = audit_bias(loaded, options)
    path = write_bias(report, Path(options.out or options.run_dir))
    for line in report["summary"]:
        print(line)
    print(f"written: {path}")
    return 0
