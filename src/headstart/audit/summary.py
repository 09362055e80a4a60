"""One-line-per-check summary of ``audit-data`` findings, printed and saved in audit.json."""

from __future__ import annotations

from typing import Any


def summarise(findings: dict[str, Any]) -> list[str]:
    """Human-readable lines, most important first; every check says what it found, including nothing."""
    rows = findings["rows"]
    lines = [f"rows: " + ", ".join(f"{name} {n}" for name, n in rows.items())]
    missing = {k: v["count"] for k, v in findings["rows_without_text_or_label"].items() if v["count"]}
    if missing:
        lines.append("rows without a text or a label (ignored): " + ", ".join(f"{k} {n}" for k, n in missing.items()))
    le = findings.get("label_errors")
    if le and "skipped" in le:
        lines.append(f"likely label errors: not searched: {le['skipped']}")
    elif le:
        lines.append(
            f"likely label errors: {le['n_flagged']} of {rows['train']} training rows ({le['share_flagged']:.1%}) "
            f"by confident learning ({le['folds']}-fold {le['model']} model, out-of-fold accuracy {le['out_of_fold_accuracy']:.3f})"
        )
    else:
        lines.append("likely label errors: not searched (--no-label-errors)")
    lines.append(f"conflicting labels: {findings['conflicting_label_groups']} text(s) appear with different labels")
    lines.append(
        f"duplicates: {findings['exact_duplicate_rows']} exact duplicate row(s) in {findings['exact_duplicate_groups']} group(s); "
        f"{findings['near_duplicate_pairs']} near-duplicate pair(s), {findings['near_duplicate_label_conflicts']} with different labels"
    )
    if findings.get("near_duplicates_skipped"):
        lines.append(f"near-duplicates: not searched at training time: {findings['near_duplicates_skipped']}")
    for name, leak in findings.get("leakage", {}).items():
        lines.append(f"leakage train->{name}: {leak['exact']} exact and {leak['near']} near-duplicate(s) of training texts among {leak['n_examples']} {name} rows")
    for name, unseen in findings.get("unseen_labels", {}).items():
        if unseen:
            lines.append(f"{name}: label(s) never seen in training: {', '.join(unseen[:10])}")
    imb = findings["imbalance"]
    rare = f"; rare classes: {', '.join(imb['rare_classes'][:10])}" if imb["rare_classes"] else ""
    lines.append(
        f"class balance: {imb['classes']} classes, largest '{imb['largest']['label']}' {imb['largest']['count']}, "
        f"smallest '{imb['smallest']['label']}' {imb['smallest']['count']} (ratio {imb['ratio']}){rare}"
    )
    trunc = findings["truncation"]
    parts = [f"{name} {v['n_truncated']} ({v['share']:.1%}, longest {v['max_tokens']} tokens)" for name, v in trunc["by_split"].items()]
    lines.append(f"truncated at {trunc['max_length']} tokens ({trunc['base']} tokenizer): " + ", ".join(parts))
    lines.append(f"suspect rows to review: {findings['n_suspect_rows']}")
    return lines
