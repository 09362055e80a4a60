"""Model-card sections filled from audit outputs (bias.json, audit.json, suspects.csv, diagnosis.json).

``runs/card.py`` calls :func:`factors_section`, :func:`data_quality_section` and
:func:`domain_section` with the parsed files found in the run directory; each
returns the Markdown body of its section and, with nothing measured, says what is
missing and the command that fills it.
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


def crows_pairs_text(crows: dict[str, Any] | None) -> str:
    """CrowS-Pairs result of the base model as Markdown ('' when not measured)."""
    if not crows:
        return ""
    rows = [[t, str(s["n"]), _ci(s)] for t, s in crows["by_bias_type"].items()]
    return (
        f"Base model `{crows['base']}` on CrowS-Pairs ({crows['pairs']} sentence pairs; masked-LM pseudo-log-likelihood of the unmodified tokens, "
        f"Nangia et al. 2020): the stereotyped sentence is preferred in {_ci(crows['stereotype_preferred'])} of pairs "
        "(0.5 = no preference; the fine-tuned classifier inherits what its base learned).\n\n"
        + _markdown_table(["bias type", "pairs", "stereotype preferred [95% CI]"], rows)
        + "\n"
    )


def factors_section(bias: dict[str, Any] | None, run_dir: str = "RUN_DIR") -> str:
    """Body of "Factors and disaggregated results" from a bias.json (or what is missing)."""
    if not bias:
        return (
            "Not measured for this run: results by group need a bias audit. "
            f"Run `headstart audit-bias {run_dir}` (add `--eec ../shared/data/eec/Equity-Evaluation-Corpus.csv` for a sentiment model). "
            "Until then, do not assume the model works equally well for every group of people or kind of text.\n"
        )
    header, rows = bias_rows(bias)
    crows = crows_pairs_text(bias.get("crows_pairs"))
    if not rows:
        return crows + f"\nThe bias audit found no evaluation text mentioning any tested group and ran no templates. Run `headstart audit-bias {run_dir}` with templates on.\n"
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
        + ("\n" + crows if crows else "")
    )


def data_quality_section(audit: dict[str, Any] | None, suspects: list[dict[str, str]] | None = None, train_file: str = "TRAIN_FILE", limit: int = 10, run_dir: str | None = None) -> str:
    """Body of "Data-quality findings" from audit.json and suspects.csv rows (or what is missing)."""
    command = f"headstart audit-data {train_file}" + (f" --out {run_dir}" if run_dir else "")
    if not audit:
        return f"No data audit was run. Run `{command}` for duplicates, leakage, truncation and likely label errors.\n"
    lines = [f"- {line}" for line in audit.get("summary", [])]
    text = "Findings of `headstart audit-data`:\n\n" + "\n".join(lines) + "\n"
    searched = audit.get("label_errors")
    if not searched or "skipped" in searched:
        text += f"\nLikely label errors were not searched. Run `{command}` to add the cross-validated search.\n"
    if suspects:
        top = suspects[:limit]
        rows = [[r["location"], r["given_label"], r["suggested_label"] or "", r["kinds"], r["text"][:80].replace("|", "\\|")] for r in top]
        text += f"\nTop {len(top)} of {len(suspects)} suspect rows (suspects.csv):\n\n" + _markdown_table(["row", "given", "suggested", "why", "text"], rows) + "\n"
    return text


def domain_section(diagnosis: dict[str, Any] | None, base: str = "BASE", train_file: str = "TRAIN_FILE", run_dir: str = "RUN_DIR", quick: dict[str, Any] | None = None) -> str:
    """Body of "Domain fit" from a diagnosis.json written by ``headstart diagnose --run``, else the train-time
    vocabulary check ``quick`` (the record's ``diagnosis``), else what is missing."""
    command = f"`headstart diagnose {base} {train_file} --run {run_dir}`"
    if not diagnosis and quick:
        verdict = quick.get("warning") or "the vocabulary fits this text"
        return (
            f"Vocabulary check at training time ({quick['texts']} training texts, {base} tokenizer): {quick['fragmented_share']:.1%} of words split into "
            f"3+ sub-words, {quick['unknown_rate']:.2%} unknown tokens — {verdict}.\n\n"
            f"Pseudo-perplexity and nearest-neighbour label agreement were not measured: run {command}.\n"
        )
    if not diagnosis:
        return (
            "Not measured for this run: how well the base model's vocabulary and pre-training fit this text. "
            f"Run {command} (sub-word fragmentation, unknown tokens, pseudo-perplexity, nearest-neighbour label agreement).\n"
        )
    vocab = diagnosis.get("vocabulary") or {}
    lines = [
        f"- words split into 3+ sub-words: {vocab.get('fragmented_share', float('nan')):.1%}; unknown tokens: {vocab.get('unknown_rate', float('nan')):.2%}",
    ]
    ppl = diagnosis.get("pseudo_perplexity")
    lines.append(
        f"- pseudo-perplexity {ppl['pseudo_perplexity']:.1f}, {ppl['ratio_to_reference']:.2f}x that on everyday English" if ppl else "- pseudo-perplexity: n/a (the base has no masked-LM head)"
    )
    near = diagnosis.get("neighbours")
    if near:
        lines.append(f"- nearest-neighbour label agreement of frozen embeddings {near['knn_agreement']:.1%} (majority class {near['majority_rate']:.1%})")
    lines.append(f"- recommendation: **{diagnosis.get('verdict')}**" + (" — " + "; ".join(diagnosis.get("reasons", [])) if diagnosis.get("reasons") else ""))
    return f"`headstart diagnose` of base `{diagnosis.get('base')}` on {diagnosis.get('texts')} training texts:\n\n" + "\n".join(lines) + "\n"
