"""``headstart report``: a run's self-contained HTML report."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report",
        help="write a run's HTML report",
        description="One self-contained HTML page (no network): metrics, learning curve, confusion matrix, calibration "
        "(reliability diagram and ECE on the validation split), per-group results from audit-bias and suspect rows "
        "from audit-data when their outputs are in the run directory. Also refreshes the run's model card (README.md) from them.",
    )
    parser.add_argument("run_dir", help="run directory written by 'headstart train'")
    parser.add_argument("--out", metavar="PATH", help="HTML file to write [default: RUN_DIR/report.html, and the card is refreshed]")
    parser.add_argument("--calibration", action=argparse.BooleanOptionalAction, default=True, help="recompute validation predictions for the calibration section [default: on]")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.report.html import write_report

    if args.out:
        path = write_report(args.run_dir, args.out, args.calibration)
        print(f"report written to {path}")
        return 0
    from headstart.report.documents import refresh_documents

    paths = refresh_documents(args.run_dir, args.calibration) or [write_report(args.run_dir, None, args.calibration)]
    print(f"report written to {paths[0]}" + (f"; model card refreshed: {paths[1]}" if len(paths) > 1 else ""))
    return 0
