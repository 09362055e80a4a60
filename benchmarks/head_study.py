"""Head variants for ``--method contrastive``, compared offline on saved embeddings (tuning seeds only).

Reads the ``.npz`` files that ``benchmarks/contrastive_tuning.py --save-features DIR`` writes (the training and test
embeddings of one tuning run, under the tuned and the pre-trained encoder) and scores, per file, the test accuracy of
several heads fitted on the training embeddings. Prints one table: mean test accuracy per dataset and size, over the
seeds present. Training the encoder is the slow part; this refits heads in seconds.

    python benchmarks/head_study.py bench-out/s10/features

Heads:

- ``C<c>``: headstart's head (tasks.linear_probe.fit_head: logistic regression on features scaled to unit median
  norm) with inverse regularisation ``c``; the default is ``C10``.
- ``evidence``: the same head, with ``c`` chosen per run from the grid by the Laplace approximation of the
  model evidence (MacKay 1992), which needs no held-out labels: log p(y | w*) - |w*|^2 / 2c - log det(I + c H) / 2,
  with H the Hessian of the negative log-likelihood in the weights at the fitted w* (computed in the n*K x n*K
  kernel form, so it is cheap at a few dozen examples per class).
- ``loo_pre``: ``c`` chosen by leave-one-out accuracy of the head on the *pre-trained* embeddings (the tuned ones
  separate the training sample perfectly at every ``c``); ties go to the larger ``c``.
- ``mean_C1_C10``, ``mean_grid``: the mean of the logits of the heads at C = 1 and 10, or at every C of the grid
  (still one linear head).
- ``concat_pre``: the default head (C = 10) on the unit tuned embedding concatenated with the unit pre-trained one,
  so the head can also read what contrastive tuning overwrote.
- ``centroid``: nearest class mean by cosine (the strong-regularisation limit of the logistic regression).
- ``pre_separability`` (not a head): leave-one-out nearest-class-mean accuracy of the *pre-trained* embeddings on the
  training sample, chance-corrected ((accuracy - 1/K) / (1 - 1/K)); a label-only signal, available before training,
  of how much the encoder already knows about the task (BENCHMARKS.md, twelfth round).
- ``val<V>`` (with ``--validation-per-class V ...``): ``c`` chosen on a validation split of ``V`` test texts per
  class (ties go to the default 10, then to the nearest ``c`` on a log scale), scored on the rest of the test sample;
  40 random splits per run. ``val<V>_C10`` is the default head on the same rests. This is what choosing ``c`` on a
  user's validation split would buy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


def fit(x: np.ndarray, y: np.ndarray, n_classes: int, c: float):
    from headstart.tasks.linear_probe import fit_head

    return fit_head(x, y, n_classes, 0, c)


def logits(head, x: np.ndarray) -> np.ndarray:
    weight, bias, scale = head
    return x * scale @ weight.T + bias


def accuracy(head, x: np.ndarray, y: np.ndarray) -> float:
    return float((logits(head, x).argmax(-1) == y).mean())


def log_evidence(head, x: np.ndarray, y: np.ndarray, c: float) -> float:
    """Laplace log evidence of the fitted head under the prior w ~ N(0, c I) on the (scaled) weights."""
    weight, bias, scale = head
    present = np.unique(y)
    z = logits(head, x)[:, present]
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    index = {label: i for i, label in enumerate(present)}
    rows = np.array([index[label] for label in y])
    loglik = float(np.log(p[np.arange(len(y)), rows] + 1e-300).sum())
    w = weight[present]
    if len(present) == 2:  # fit_head split sklearn's single binary row into two symmetric rows
        w = w[1:] * 2
        p = p[:, 1:]
        a_blocks = [np.array([[q * (1 - q)]]) for q in p[:, 0]]
    else:
        a_blocks = [np.diag(q) - np.outer(q, q) for q in p]
    penalty = float((w**2).sum()) / (2 * c)
    roots = []
    for a in a_blocks:  # A_i = L_i L_i^T
        values, vectors = np.linalg.eigh(a)
        roots.append(vectors * np.sqrt(np.clip(values, 0, None)))
    xs = x * scale
    gram = xs @ xs.T
    k = roots[0].shape[0]
    stacked = np.stack(roots)  # [n, K, K]
    inner = np.einsum("iak,jal->ijkl", stacked, stacked)  # (L_i^T L_j)[k, l]
    big = (gram[:, :, None, None] * inner).transpose(0, 2, 1, 3).reshape(len(y) * k, len(y) * k)
    _, logdet = np.linalg.slogdet(np.eye(len(big)) + c * big)
    return loglik - penalty - 0.5 * logdet


def loo_accuracy(x: np.ndarray, y: np.ndarray, n_classes: int, c: float) -> float:
    hits = 0
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        hits += int(logits(fit(x[keep], y[keep], n_classes, c), x[i : i + 1]).argmax(-1)[0] == y[i])
    return hits / len(y)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def centroid_accuracy(x: np.ndarray, y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray) -> float:
    classes = np.unique(y)
    centres = unit(np.stack([unit(x[y == c]).mean(0) for c in classes]))
    return float((classes[(unit(test_x) @ centres.T).argmax(-1)] == test_y).mean())


def loo_centroid_accuracy(x: np.ndarray, y: np.ndarray) -> float:
    """Leave-one-out ``centroid_accuracy`` on ``x`` itself: how well the vectors already separate the classes."""
    keep = lambda i: np.arange(len(y)) != i
    return float(np.mean([centroid_accuracy(x[keep(i)], y[keep(i)], x[i : i + 1], y[i : i + 1]) for i in range(len(y))]))


def validation_chosen(correct: dict[float, np.ndarray], test_y: np.ndarray, per_class: int, splits: int = 40) -> tuple[float, float]:
    """Mean accuracy, over random splits, of the ``c`` that scores best on ``per_class`` held-out texts per class, and of C = 10, on the rest."""
    rng = np.random.default_rng(0)
    chosen, default = [], []
    for _ in range(splits):
        held = np.concatenate([rng.choice(np.flatnonzero(test_y == k), min(per_class, int((test_y == k).sum())), replace=False) for k in np.unique(test_y)])
        rest = np.setdiff1d(np.arange(len(test_y)), held)
        scores = {c: hits[held].mean() for c, hits in correct.items()}
        best = max(scores.values())
        pick = min((c for c in scores if scores[c] == best), key=lambda c: abs(np.log(c / 10.0)))
        chosen.append(correct[pick][rest].mean())
        default.append(correct[10.0][rest].mean())
    return float(np.mean(chosen)), float(np.mean(default))


def study(path: Path, loo: bool, validation_sizes: list[int]) -> dict[str, float]:
    data = np.load(path)
    x, y, tx, ty = data["train_x"], data["train_y"], data["test_x"], data["test_y"]
    n_classes = int(max(y.max(), ty.max())) + 1
    out: dict[str, float] = {}
    heads = {c: fit(x, y, n_classes, c) for c in GRID}
    for c, head in heads.items():
        out[f"C{c:g}"] = accuracy(head, tx, ty)
    for name, cs in (("mean_C1_C10", (1.0, 10.0)), ("mean_grid", GRID)):  # a mean of linear heads' logits is one linear head
        out[name] = float((np.mean([logits(heads[c], tx) for c in cs], axis=0).argmax(-1) == ty).mean())
    if len(y) * len(np.unique(y)) <= 3000:
        evidence = {c: log_evidence(head, x, y, c) for c, head in heads.items()}
        best = max(evidence, key=evidence.get)
        out["evidence"], out["evidence_c"] = out[f"C{best:g}"], best
    if loo and len(y) <= 300:
        scores = {c: loo_accuracy(data["train_x0"], y, n_classes, c) for c in GRID}
        best = max(sorted(scores), key=lambda c: (scores[c], c))
        out["loo_pre"], out["loo_pre_c"] = out[f"C{best:g}"], best
    both, test_both = np.hstack([unit(x), unit(data["train_x0"])]), np.hstack([unit(tx), unit(data["test_x0"])])
    out["concat_pre"] = accuracy(fit(both, y, n_classes, 10.0), test_both, ty)
    correct = {c: logits(head, tx).argmax(-1) == ty for c, head in heads.items()}
    for v in validation_sizes:
        out[f"val{v}"], out[f"val{v}_C10"] = validation_chosen(correct, ty, v)
    out["centroid"] = centroid_accuracy(x, y, tx, ty)
    out["pretrained_C10"] = accuracy(fit(data["train_x0"], y, n_classes, 10.0), data["test_x0"], ty)
    chance = 1.0 / len(np.unique(y))
    out["pre_separability"] = (loo_centroid_accuracy(data["train_x0"], y) - chance) / (1.0 - chance)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--loo", action="store_true", help="also choose C by leave-one-out on the pre-trained embeddings (slow)")
    parser.add_argument("--validation-per-class", type=int, nargs="*", default=[], help="also choose C on this many held-out test texts per class (see val<V>)")
    args = parser.parse_args()
    groups: dict[str, list[dict[str, float]]] = defaultdict(list)
    for path in sorted(Path(args.folder).glob("*.npz")):
        result = study(path, args.loo, args.validation_per_class)
        print(path.stem, {k: round(v, 4) for k, v in result.items()}, flush=True)
        groups[path.stem.rsplit("-s", 1)[0]].append(result)
    print()
    for group, results in groups.items():
        keys = [k for k in results[0] if not k.endswith("_c")]
        print(f"{group} ({len(results)} seeds): " + ", ".join(f"{k} {statistics.mean(r[k] for r in results):.4f}" for k in keys))
        for k in (k for k in results[0] if k.endswith("_c")):
            print(f"    {k}: {[r[k] for r in results]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
