"""Files of a learning-curve run directory: curve.json, curve.csv, curve.png, curve.log, README.md."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from headstart.evaluation.curve_plot import plot_learning_curve
from headstart.runs.atomic import StagedDirectory, atomic_write_json, atomic_write_text

CURVE_FILES = ("curve.json", "curve.csv", "curve.png", "curve.log", "README.md")
CSV_COLUMNS = ("method", "name", "size", "repeat", "seed", "n_train", "n_validation", "accuracy", "macro_f1", "epochs_run", "seconds")


def data_title(record: dict) -> str:
    """'sst2_glue/train_full.tsv': the file with its folder, since files are often just train.csv."""
    path = Path(record["data"]["train"])
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def points_csv(points: list[dict], names: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in sorted(points, key=lambda p: (p["method"], p["size"], p["repeat"])):
        writer.writerow([p["method"], names.get(p["method"], p["method"]), p["size"], p["repeat"], p["seed"], p["n_train"], p["n_validation"], f"{p['scores']['accuracy']:.4f}", f"{p['scores']['macro_f1']:.4f}", p.get("epochs_run", ""), p["seconds"]])
    return buffer.getvalue()


def summary_table(summary: dict[str, dict[int, dict]], names: dict[str, str], metric: str) -> str:
    """Markdown table: one row per method, one column per size, 'mean ± std (n)'."""
    sizes = sorted({s for by_size in summary.values() for s in by_size})
    lines = [f"| method ({metric}) | " + " | ".join(f"{s:,}" for s in sizes) + " |", "|---|" + "---:|" * len(sizes)]
    for method, by_size in summary.items():
        cells = [f"{by_size[s]['mean']:.4f} ± {by_size[s]['std']:.4f} ({by_size[s]['n']})" if s in by_size else "–" for s in sizes]
        lines.append(f"| {names.get(method, method)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_readme(record: dict, table: str, answers: list[str]) -> str:
    settings = record["settings"]
    unit = "labeled examples per class" if settings["per_class"] else "labeled examples in total"
    lines = [
        f"# Learning curve: {data_title(record)}",
        "",
        f"Score on a fixed held-out set ({record['data']['test_description']}) against the number of labels ({unit}).",
        f"Base model: {record['base']['name']}. Samples are stratified and nested (a larger sample contains the smaller one); repeat r uses sampling and training seed {settings['seed']} + r.",
        f"Inside each sample, {settings['validation_fraction']:.0%} (every {settings['validation_step']}th example of each class) is held out to pick the best epoch; TF-IDF picks its C on it and is refitted on the whole sample.",
        "",
        "## Answer",
        "",
        *[f"- {line}" for line in answers],
        "",
        "## Scores (mean ± std over repeats, number of repeats)",
        "",
        table,
        "",
        "![learning curve](curve.png)",
        "",
        "## Methods",
        "",
        *[f"- **{name}**: {record['methods'][method]['description']}" for method, name in record["names"].items()],
        "",
        "Files: curve.json (settings, every point, summary, answers), curve.csv (one row per point), curve.png, curve.log.",
        "",
    ]
    return "\n".join(lines)


def write_curve_dir(output: Path, record: dict, points: list[dict], summary: dict, answers: list[str], log_lines: list[str], overwrite: bool, threshold: float | None) -> Path:
    """Write the finished curve directory in one rename (see runs/atomic.py)."""
    names = record["names"]
    metric = record["settings"]["metric"]
    table = summary_table(summary, names, metric)
    unit = "labeled examples per class" if record["settings"]["per_class"] else "labeled examples"
    with StagedDirectory(output, overwrite) as stage:
        atomic_write_json(stage / "curve.json", {**record, "points": points, "summary": {m: {str(s): v for s, v in by.items()} for m, by in summary.items()}, "answers": answers})
        atomic_write_text(stage / "curve.csv", points_csv(points, names))
        plot_learning_curve(summary, names, metric, stage / "curve.png", f"{data_title(record)}: learning curve", threshold, f"{record['settings']['target']:.0%} of the full-data score", unit)
        atomic_write_text(stage / "curve.log", "\n".join(log_lines) + "\n")
        atomic_write_text(stage / "README.md", render_readme(record, table, answers))
    return output
