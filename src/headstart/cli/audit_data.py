"""``headstart audit-data``: duplicates, conflicts, leakage, imbalance, truncation and likely label errors."""

from __future__ import annotations

import argparse

from headstart.audit.data_audit import AuditDataOptions
from headstart.cli.args import add_dataclass_arguments, build_dataclass


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "audit-data",
        help="check a labeled data set before training",
        description="Exact and near-duplicate texts, conflicting labels, train/eval leakage, class imbalance, texts the model "
        "would truncate, and likely label errors (confident learning on cross-validated predictions). "
        "Writes suspects.csv (rows to review, ranked) and audit.json; with --out RUN_DIR, also refreshes that run's model card and report.",
    )
    parser.add_argument("data", help="labeled training file (.csv, .tsv, .jsonl, .parquet)")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags win)")
    add_dataclass_arguments(parser, AuditDataOptions, skip=("data",))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.audit.data_audit import audit_data, write_audit

    options = build_dataclass(AuditDataOptions, args)
    result = audit_data(options)
    out = options.output_dir()
    paths = write_audit(result, out)
    for line in result.summary:
        print(line)
    top = result.suspects.ranked()[:5]
    if top:
        print("top suspects:")
        for row in top:
            text = row.text if len(row.text) <= 70 else row.text[:67] + "..."
            print(f"  {row.location}  [{row.given_label}]  {text!r}  <- {row.reasons[0]}")
    print(f"written: {', '.join(str(p) for p in paths)}")
    from headstart.report.documents import is_run_dir, refresh_documents

    if is_run_dir(out):
        print(f"refreshed: {', '.join(str(p) for p in refresh_documents(out))}")
    return 0
