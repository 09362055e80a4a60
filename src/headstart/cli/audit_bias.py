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
        "95%% intervals. With --eec, also the Equity Evaluation Corpus; with --crows-pairs, CrowS-Pairs stereotype preference "
        "of the masked-LM base. Writes bias.json and refreshes the run's model card and report.",
    )
    parser.add_argument("run_dir", help="run directory written by 'headstart train' (with --crows-pairs alone: or a base model)")
    parser.add_argument("data", nargs="?", help="evaluation texts [default: the run's validation split]")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags win)")
    add_dataclass_arguments(parser, AuditBiasOptions, skip=("run_dir", "data"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from headstart.audit.bias import audit_bias, write_bias
    from headstart.runs.load import load_run

    from headstart.report.documents import is_run_dir, refresh_documents

    options = build_dataclass(AuditBiasOptions, args)
    if options.crows_pairs and not is_run_dir(options.run_dir):
        return base_crows_pairs(options)
    loaded = load_run(options.run_dir)
    report = audit_bias(loaded, options)
    out = Path(options.out or options.run_dir)
    path = write_bias(report, out)
    for line in report["summary"]:
        print(line)
    print(f"written: {path}")
    if out.resolve() == Path(options.run_dir).resolve():
        print(f"refreshed: {', '.join(str(p) for p in refresh_documents(out))}")
    return 0


def base_crows_pairs(options: AuditBiasOptions) -> int:
    """CrowS-Pairs of a base model given instead of a run: crows_pairs.json in --out."""
    from pathlib import Path

    from headstart.audit.crows_pairs import audit_crows_pairs
    from headstart.runs.atomic import atomic_write_json

    result = audit_crows_pairs(options.run_dir, options.crows_pairs, options.crows_pairs_limit, options.seed)
    out = Path(options.out or Path("audits") / f"crows-pairs-{Path(options.run_dir).name}")
    path = out / "crows_pairs.json"
    atomic_write_json(path, result)
    for line in result["summary"]:
        print(line)
    print(f"written: {path}")
    return 0
