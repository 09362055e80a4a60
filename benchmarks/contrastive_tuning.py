"""Tuning runs for ``--method contrastive`` on seeds apart from the benchmark's: passes x head settings.

For each seed, trains headstart's contrastive stage once (``--passes`` passes, same sampler and test
sample as benchmarks/fewshot.py), embeds the training sample and the test sample with the tuned
encoder, and refits the logistic-regression head with several inverse regularisations C and two
feature scalings (the default's median-norm scaling, and unit length). One JSON line per run.
Used to choose the defaults in tasks/contrastive.py (BENCHMARKS.md, "Few labels"); never run it on
seeds 0-2, which the benchmark reports.

    python benchmarks/contrastive_tuning.py --dataset trec --size 64 --passes 16 32 --seeds 10 11 --out bench-out/tuning.jsonl
    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --learning-rate 4e-5 --seeds 10 11 12
    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --pooling-variant raw-mean --seeds 10 11 12

``--pooling-variant`` swaps what the contrastive loss reads, to compare with the default (the mean-pooling layer's
output, no dropout in that layer: models/pooling.exact_mean_pooling): ``with-dropout`` (the layer's dropout on, as
before 2026-11-26's sixth round), ``frozen`` (no dropout, and the pooling layer's own weights not trained), ``raw-mean``
(sentence-transformers' own vector: the token mean of the last original layer, before the pooling layer's LayerNorm).
The head is always fitted on the model's own pooled vector.

``--interpolate A ...`` scores weight-space interpolations of the tuned encoder with the pre-trained one (WiSE-FT,
Wortsman et al. 2022): encoder weights ``A * tuned + (1 - A) * pre-trained``, head refitted on each; ``A = 1`` is the
tuned encoder itself. One training run per seed serves every ``A``.

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --interpolate 1 0.8 0.6 0.4 --seeds 11 13
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402  (same data loading and sampling as the benchmark)


def head_accuracies(train_x, train_y, test_x, test_y, n_classes: int, seed: int) -> dict[str, float]:
    """Test accuracy of headstart's own head (tasks.contrastive.fit_head) per C, on the features as they are and at unit length."""
    import numpy as np

    from headstart.tasks.contrastive import fit_head

    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    out = {}
    for name, scale in (("median", lambda x: x), ("unit", unit)):  # fit_head scales to unit median norm itself
        for c in (0.1, 1.0, 10.0, 100.0):
            weight, bias, factor = fit_head(scale(train_x), train_y, n_classes, seed, c)
            predicted = (scale(test_x) * factor @ weight.T + bias).argmax(-1)
            out[f"{name}_C{c:g}"] = float((predicted == test_y).mean())
    return out


def use_pooling_variant(variant: str) -> None:
    """Patch headstart's contrastive stage for ``--pooling-variant`` (this process only)."""
    import contextlib

    import headstart.tasks.contrastive as contrastive

    if variant == "with-dropout":
        contrastive.exact_mean_pooling = lambda model: contextlib.nullcontext()
    elif variant == "frozen":
        exact = contrastive.exact_mean_pooling

        @contextlib.contextmanager
        def frozen(model):
            from headstart.models.pooling import mean_pooling_layer

            layer = mean_pooling_layer(model)
            for param in layer.parameters():
                param.requires_grad_(False)
            with exact(model):
                yield

        contrastive.exact_mean_pooling = frozen
    elif variant == "raw-mean":

        from headstart.models.pooling import masked_mean

        def raw_mean_step(model, batch):
            inputs = {k: v for k, v in batch.items() if k != "labels"}
            hidden = model(**inputs, output_hidden_states=True).hidden_states[-2]
            return contrastive.pair_cosine_loss(masked_mean(hidden, inputs["attention_mask"]), batch["labels"])

        contrastive.contrastive_step = raw_mean_step


def encoder_blender(trained, labels: list[str], config):
    """A function ``alpha -> trained`` that sets every encoder weight to ``alpha * tuned + (1 - alpha) * pre-trained`` (head untouched)."""
    import torch

    from headstart.catalog.resolve import resolve_base
    from headstart.models.classifier import build_classifier, head_parameter_names

    model = trained.model
    head = head_parameter_names(model)
    tuned = {k: v.detach().clone() for k, v in model.state_dict().items() if k not in head and v.is_floating_point()}
    pretrained = build_classifier(resolve_base("minilm-l6"), labels, pooling=config.pooling).state_dict()

    @torch.no_grad()
    def blend(alpha: float):
        for name, value in model.state_dict().items():
            if name in tuned:
                value.copy_(alpha * tuned[name] + (1 - alpha) * pretrained[name])
        return trained

    return blend


def main() -> int:
    parser = fewshot.tuning_parser(__doc__)
    parser.add_argument("--passes", type=int, nargs="+", required=True)
    parser.add_argument("--learning-rate", type=float, default=None, help="encoder learning rate (default: headstart's, 2e-5)")
    parser.add_argument("--batch-size", type=int, default=None, help="texts per contrastive batch (default: headstart's, 16)")
    parser.add_argument("--pooling-variant", choices=["default", "with-dropout", "frozen", "raw-mean"], default="default", help="what the contrastive loss reads (see above)")
    parser.add_argument("--interpolate", type=float, nargs="+", default=[1.0], help="weights A of the tuned encoder against the pre-trained one (see above)")
    parser.add_argument("--out", default="bench-out/contrastive-tuning.jsonl")
    args = parser.parse_args()
    pool, test, labels = fewshot.tuning_data(args)
    use_pooling_variant(args.pooling_variant)
    import numpy as np

    from headstart.training.config import TrainConfig

    index = {label: i for i, label in enumerate(labels)}
    overrides = {k: v for k, v in (("learning_rate", args.learning_rate), ("batch_size", args.batch_size)) if v is not None}
    for passes in args.passes:
        for seed in args.seeds:
            train = fewshot.sample_per_class(pool, args.size, seed)
            config = TrainConfig(method="contrastive", seed=seed, contrastive_passes=passes, **overrides)
            seconds, trained = fewshot.train_headstart(train, labels, config)
            targets = [np.array([index[l] for _, l in rows]) for rows in (train, test)]
            blend = encoder_blender(trained, labels, config) if args.interpolate != [1.0] else (lambda alpha: trained)
            for alpha in args.interpolate:
                features = fewshot.embed_rows(blend(alpha), [train, test], config)
                accuracies = head_accuracies(features[0], targets[0], features[1], targets[1], len(labels), seed)
                extras = {"pooling_variant": args.pooling_variant} if args.pooling_variant != "default" else {}
                extras |= {"interpolate": alpha} if alpha != 1.0 else {}
                fewshot.append_row({"dataset": args.dataset, "size": args.size, "passes": passes, **overrides, **extras, "seed": seed, "train_seconds": seconds, **accuracies}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
