"""Model-card sections filled from audit outputs (bias.json, audit.json, suspects.csv).

``runs/card.py`` can call :func:`factors_section` and :func:`data_quality_section`
with the parsed files when they exist in the run directory; each returns the
Markdown body of its section and, with nothing measured, says what is missing and
the command that fills it.
"""

from __future__ import annotations

from typing import Any

from headstart.audit.stats import format_ci


def _ci(stat: dict[str, float]) -> str:
    return format_ci(stat) if stat.get("n", 1) else "n/a"


def bias_rows(bias: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Table of per-group results: one row per dimension, source and group (EEC included)."""
    header = ["dimension", "source", "items", "group", "mean score [95% CI]", "flip rate [95% CI]"]
    rows: list[list[str]] = []
    for dimension, entry in bias.get("dimensions", {}).items():
        for kind in ("texts", "templates"):
            stats = entry.get(kind)
            if not stats or not stats.get("items"):
                continue
            flip = _ci(stats["flip_rate"])
            for group, score in stats["mean_score"].items():
                rows.append([dimension, kind, str(stats["items"]), group, _ci(score), flip])
    eec = bias.get("eec")
    if eec:
        for attribute in ("gender", "race"):
            flip = _ci(eec[attribute]["flip_rate"])
            for group, score in eec[attribute]["mean_score"].items():
                rows.append([attribute, "EEC", str(score["n"]), group, _ci(score), flip])
    return header, rows


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def factors_section(bias: dict[str, Any] | None, run_dir: str = "RUN_DIR") -> str:
    """Body of "Factors and disaggregated results" from a bias.json (or what is missing)."""
    if not bias:
        return (
            "Not measured for this run: results by group need a bias audit. "
            f"Run `headstart audit-bias {run_dir}` (add `--eec ../shared/data/eec/Equity-Evaluation-Corpus.csv` for a sentiment model). "
            "Until then, do not assume the model works equally well for every group of people or kind of text.\n"
        )
    header, rows = bias_rows(bias)
    if not rows:
        return f"The bias audit found no evaluation text mentioning any tested group and ran no templates. Run `headstart audit-bias {run_dir}` with templates on.\n"
    factors = ", ".join(bias.get("dimensions", {}))
    gaps = []
    for dimension, entry in bias.get("dimensions", {}).items():
        for kind in ("texts", "templates"):
            stats = entry.get(kind) or {}
            if "score_gap" in stats:
                gap = stats["score_gap"]
                gaps.append(f"- {dimension} ({kind}): largest gap between group mean scores {gap['gap']:.3f} [{gap['low']:.3f}, {gap['high']:.3f}]; flip rate {_ci(stats['flip_rate'])}")
    return (
        f"Factors audited by counterfactual swaps of names, pronouns and identity terms: {factors}"
        f"{' and the Equity Evaluation Corpus' if bias.get('eec') else ''}. Score: {bias.get('score', '')}; "
        "flip rate: share of items whose predicted label changes when only the group changes. Intervals: bootstrap 95% "
        "(the gap's interval bootstraps largest minus smallest group mean, so it leans high with many groups or few items).\n\n"
        + ("\n".join(gaps) + "\n\n" if gaps else "")
        + _markdown_table(header, rows)
        + "\n"
    )


def data_quality_section(audit: dict[str, Any] | None, suspects: list[dict[str, str]] | None = None, train_file: str = "TRAIN_FILE", limit: int = 10) -> str:
    """Body of "Data-quality findings" from audit.json and suspects.csv rows (or what is missing)."""
    if not audit:
        return f"No data audit was run. Run `headstart audit-data {train_file}` for duplicates, leakage, truncation and likely label errors.\n"
    lines = [f"- {line}" for line in audit.get("summary", [])]
    text = "Findings of `headstart audit-data`:\n\n" + "\n".join(lines) + "\n"
    if suspects:
        top = suspects[:limit]
        rows = [[r["location"], r["given_label"], r["suggested_label"] or "", r["kinds"], r["text"][:80].replace("|", "\\|")] for r in top]
        text += f"\nTop {len(top)} of {len(suspects)} suspect rows (suspects.csv):\n\n" + _markdown_table(["row", "given", "suggested", "why", "text"], rows) + "\n"
    return text
