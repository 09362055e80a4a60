"""Learning curves: nested stratified samples, per-point summaries, and "how many labels do I need".

Pure logic (no models): which examples each point trains on, how repeated
scores are summarised, and the answer lines drawn from the summary. The runner
that trains the points is :mod:`headstart.curves`.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass

from headstart.errors import ConfigError


@dataclass(frozen=True)
class SizeSpec:
    size: int
    """Labeled examples (in total, or per class with --per-class)."""
    repeats: int
    """Independent samples/seeds at this size."""


def parse_sizes(text: str, default_repeats: int, flag: str = "--sizes") -> list[SizeSpec]:
    """'100,300x2,1000' -> sizes with repeats ('x2' overrides the default repeats); sorted, unique."""
    specs: dict[int, int] = {}
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        size_text, _, repeat_text = part.lower().partition("x")
        try:
            size = int(size_text.replace("_", ""))
            repeats = int(repeat_text) if repeat_text else default_repeats
        except ValueError:
            raise ConfigError(f"{flag}: '{part}' is not a size; expected whole numbers like 100 or 100x3 (3 repeats), comma-separated.") from None
        if size < 1 or repeats < 1:
            raise ConfigError(f"{flag}: '{part}' must have a size and repeats of at least 1.")
        specs[size] = repeats
    if not specs:
        raise ConfigError(f"{flag} is empty; give sizes like 100,300,1000.")
    return [SizeSpec(size, specs[size]) for size in sorted(specs)]


def parse_method_sizes(text: str, methods: list[str], default_repeats: int) -> dict[str, list[SizeSpec]]:
    """'scratch=100,1000x2; full=100x3' -> per-method sizes (overriding --sizes for those methods)."""
    out: dict[str, list[SizeSpec]] = {}
    for item in (p.strip() for p in str(text or "").split(";")):
        if not item:
            continue
        method, sep, sizes = item.partition("=")
        method = method.strip()
        if not sep or not method:
            raise ConfigError(f"--method-sizes: '{item}' should look like METHOD=SIZES, e.g. scratch=100,1000x2 (items separated by ';').")
        if method not in methods:
            raise ConfigError(f"--method-sizes names '{method}', which is not in --methods ({', '.join(methods)}). Add it to --methods or fix the name.")
        out[method] = parse_sizes(sizes, default_repeats, f"--method-sizes {method}")
    return out


def nested_order(labels: list[str], seed: int) -> list[int]:
    """An order of example indices whose every prefix is a stratified sample.

    Each class is shuffled with ``seed``; the k-th example of a class with n
    members is placed at (k + 0.5) / n, so any prefix holds each class in
    proportion to its share. Taking the first N examples therefore gives nested
    samples: the sample of 100 is inside the sample of 1,000.
    """
    by_class: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_class[label].append(index)
    rng = random.Random(seed)
    keyed = []
    for label in sorted(by_class):
        members = by_class[label][:]
        rng.shuffle(members)
        n = len(members)
        keyed.extend(((k + 0.5) / n, rng.random(), index) for k, index in enumerate(members))
    return [index for _, _, index in sorted(keyed)]


def draw_sample(labels: list[str], size: int, seed: int, per_class: bool = False) -> list[int]:
    """The first ``size`` examples of the nested order (``size`` of each class with ``per_class``), in that order."""
    order = nested_order(labels, seed)
    if not per_class:
        return order[:size]
    taken: dict[str, int] = defaultdict(int)
    sample = []
    for index in order:
        if taken[labels[index]] < size:
            taken[labels[index]] += 1
            sample.append(index)
    return sample


def split_sample(sample: list[int], labels: list[str], validation_fraction: float) -> tuple[list[int], list[int]]:
    """(train, validation) indices of an ordered sample, both nested across sizes.

    Every ``round(1 / fraction)``-th example of each class (in sample order) is
    validation, so a larger sample's validation part contains the smaller one's.
    A sample too small for that (no class reaches the step) holds out the last
    example of each class with at least 2 (so tiny sizes are not nested in their
    validation part).
    """
    if validation_fraction <= 0:
        return list(sample), []
    step = max(2, round(1 / validation_fraction))
    seen: dict[str, int] = defaultdict(int)
    train, validation = [], []
    for index in sample:
        seen[labels[index]] += 1
        (validation if seen[labels[index]] % step == 0 else train).append(index)
    if validation:
        return train, validation
    last: dict[str, int] = {}
    for index in sample:
        last[labels[index]] = index
    held = {index for label, index in last.items() if seen[label] >= 2}
    return [i for i in sample if i not in held], [i for i in sample if i in held]


def summarise(points: list[dict], metric: str) -> dict[str, dict[int, dict]]:
    """method -> size -> mean, std (sample), n and the scores of ``metric`` over repeats."""
    grouped: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for point in points:
        grouped[point["method"]][int(point["size"])].append(float(point["scores"][metric]))
    return {
        method: {
            size: {"mean": statistics.fmean(v), "std": statistics.stdev(v) if len(v) > 1 else 0.0, "n": len(v), "scores": v}
            for size, v in sorted(by_size.items())
        }
        for method, by_size in grouped.items()
    }


def full_data_score(summary: dict[str, dict[int, dict]], full_size: int | None = None) -> tuple[float, str, int]:
    """(score, method, size): the best mean at ``full_size``; by default the best mean anywhere in the curve.

    Methods are usually measured up to different sizes (a cheap baseline goes further), so the mean of whichever
    method reached the largest size is no ceiling: a transformer at 10,000 labels can beat TF-IDF at 30,000. The best
    mean the curve measured is the best available estimate of what the full data supports (ties: the larger size).
    """
    if full_size is None:
        candidates = [(stats["mean"], size, method) for method, by_size in summary.items() for size, stats in by_size.items()]
    else:
        candidates = [(by_size[full_size]["mean"], full_size, method) for method, by_size in summary.items() if full_size in by_size]
    if not candidates:
        raise ConfigError(f"--full-size {full_size}: no method was measured at that size; pick one of the sizes in the curve.")
    score, size, method = max(candidates)
    return score, method, size


def labels_needed(by_size: dict[int, dict], threshold: float) -> int | None:
    """Smallest measured size whose mean score reaches ``threshold`` (None if none does)."""
    for size, stats in sorted(by_size.items()):
        if stats["mean"] >= threshold:
            return size
    return None


@dataclass
class Match:
    """Where a baseline's curve reaches a given score."""

    reached_at: int | None
    """Smallest measured size whose mean reaches the score (None: never within the curve)."""
    estimate: float | None
    """Size interpolated linearly in log(size) between the last point below and the first at or above."""
    largest: int
    """Largest size measured for the baseline."""


def matching_size(by_size: dict[int, dict], score: float) -> Match:
    """How many labels ``by_size``'s method needs to match ``score`` (first crossing of its curve)."""
    sizes = sorted(by_size)
    previous = None
    for size in sizes:
        mean = by_size[size]["mean"]
        if mean >= score:
            if previous is None:
                return Match(size, float(size), sizes[-1])
            low, low_mean = previous
            share = (score - low_mean) / (mean - low_mean) if mean > low_mean else 1.0
            estimate = math.exp(math.log(low) + share * (math.log(size) - math.log(low)))
            return Match(size, estimate, sizes[-1])
        previous = (size, mean)
    return Match(None, None, sizes[-1])


def _n(size: float) -> str:
    return f"{int(round(size)):,}"


def answer_lines(summary: dict[str, dict[int, dict]], names: dict[str, str], baselines: list[str], target: float, metric: str, full_size: int | None = None) -> list[str]:
    """The plain-language answers: labels needed for ``target`` of the full-data score, and baseline matches.

    ``names`` maps method keys to display names; ``baselines`` are the methods without
    pre-training that the others are compared against.
    """
    full, full_method, size = full_data_score(summary, full_size)
    threshold = target * full
    lines = [f"full-data score: {full:.4f} {metric} ({names.get(full_method, full_method)} with {_n(size)} labels); {target:.0%} of it is {threshold:.4f}"]
    reach = []
    for method in [full_method] + [m for m in summary if m != full_method]:
        by_size = summary[method]
        needed = labels_needed(by_size, threshold)
        name = names.get(method, method)
        if needed is None:
            reach.append(f"{name} needs > {_n(max(by_size))}")
        elif not reach:
            reach.append(f"{name} reaches {target:.0%} of the full-data score ({full:.2f}) with {_n(needed)} labels")
        else:
            reach.append(f"{name} needs {_n(needed)}")
    lines.append("; ".join(reach))
    for method, by_size in summary.items():
        if method in baselines:
            continue
        smallest = min(by_size)
        own = by_size[smallest]
        for baseline in baselines:
            if baseline not in summary:
                continue
            match = matching_size(summary[baseline], own["mean"])
            head = f"{names.get(method, method)} with {_n(smallest)} labels ({own['mean']:.4f} ± {own['std']:.4f}, {own['n']} repeats) matches {names.get(baseline, baseline)} at "
            if match.reached_at is None:
                lines.append(head + f"> {_n(match.largest)} labels (not reached; > {match.largest / smallest:.0f}x the labels)")
            elif match.estimate is not None and round(match.estimate) != match.reached_at:
                lines.append(head + f"≈ {_n(match.estimate)} labels (interpolated; first measured size reaching it: {_n(match.reached_at)}) ≈ {match.estimate / smallest:.0f}x the labels")
            else:
                lines.append(head + f"≤ {_n(match.reached_at)} labels ({match.reached_at / smallest:.0f}x)")
    return lines
