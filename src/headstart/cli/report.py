"""``headstart report``: a run's self-contained HTML report."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report",
        help="write a run's HTML report",
        description="One self-contained HTML page (no network): metrics, learning curve, confusion matrix, calibration "
        "(reliability diagram and ECE on the validation split), per-group results from audit-bias and suspect rows "
        "from audit-data when their outputs are in the run directory.",
    )
    parser.add_argument("run_dir", help="run directory written by 'headstart train'")
    parser.add_argument("--out", metavar="PATH", help="HTML file to write [default: RUN_DIR/report.html]")
    parser.add_argument("--calibration", action=argparse.BooleanOptionalAction, default=True, help="recompute validation predictions for the calibration section [default: on]")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.report.html import write_report

    path = write_report(args.run_dir, args.out, args.calibration)
    print(f"report written to {path}")
    return 0
