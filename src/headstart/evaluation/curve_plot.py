"""The learning-curve plot: score against labeled examples (log scale), one line per method."""

from __future__ import annotations

from pathlib import Path

MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def plot_learning_curve(summary: dict[str, dict[int, dict]], names: dict[str, str], metric: str, path: Path, title: str, threshold: float | None = None, threshold_label: str = "", size_unit: str = "labeled examples") -> None:
    """Mean ± std over repeats per size; a dotted line at ``threshold`` (the target share of the full-data score)."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for i, (method, by_size) in enumerate(summary.items()):
        sizes = sorted(by_size)
        means = [by_size[s]["mean"] for s in sizes]
        stds = [by_size[s]["std"] for s in sizes]
        ax.errorbar(sizes, means, yerr=stds, marker=MARKERS[i % len(MARKERS)], capsize=3, linewidth=1.6, markersize=5, label=names.get(method, method))
    if threshold is not None:
        ax.axhline(threshold, color="grey", linestyle=":", linewidth=1.2, label=threshold_label or None)
    ax.set_xscale("log")
    sizes = sorted({s for by_size in summary.values() for s in by_size})
    ax.set_xticks(sizes, labels=[f"{s:,}" for s in sizes], rotation=45 if len(sizes) > 6 else 0)
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel(size_unit + " (log scale)")
    ax.set_ylabel(f"test {metric.replace('_', '-')}")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
