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

Three more switches, each a variant tried once (BENCHMARKS.md, "Few-shot, eighth round"): ``--views 2`` puts every
text into its batch twice, so its two dropout views form a positive pair (the self-pairs setfit's pair list holds);
``--head-views K`` adds a head fitted on the training features plus K dropout views of them (``views_C*``) and the
clean head's accuracy on those views (``viewacc_C*``; ``--head-view-kind deletion``, nineteenth session: views made by
word-piece deletion at the run's rate instead, see deletion_views); ``--max-length 256`` encodes as sentence-transformers does for
this model (headstart's default is 128 tokens).

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 20 --views 2 --seeds 10 11 12 13 14

Three more, tried in the tenth round: ``--average-from F`` averages the encoder's weights uniformly over the steps
after the fraction ``F`` of the run (stochastic weight averaging; see WeightAverage), ``--schedule`` swaps the
learning-rate schedule (``constant`` with ``--average-from`` is SWA's usual form), and ``--freeze-embeddings`` keeps
the embedding layer as pre-trained.

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --average-from 0.5 --seeds 10 11 12 13 14

``--pair-list`` (twelfth round) trains on setfit's own pair list instead of class-grouped batches, to tell the sampler
apart from everything else headstart does differently (see use_pair_list); 40 passes are setfit's compute, 20 are
headstart's.

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 20 --pair-list --seeds 10 11 12 13 14

``--soup K`` (thirteenth round) trains K runs per seed on the same examples, the k-th with run seed ``seed + 1000 k``
(its own batch order and dropout), and scores the uniform mean of their encoder weights (see soup_encoders), with
each member alone as ``member<k>_C10`` (the default head); K runs are K times headstart's compute.

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --soup 2 --seeds 10 11 12 13 14

Eighteenth session: ``--token-deletion R`` sets the stage's word-piece deletion rate (``0`` turns it off: the code
before that session), ``--deletion-min-pieces N`` the text length it applies from (``0``: every text, every run; see
training/augment.py), ``--deletion-max-per-class N`` the most labeled examples in the median class it runs with, ``--cosent SCALE`` swaps SetFit's loss for the CoSENT ranking loss (see use_cosent), and
``--dataset imdb`` tunes on IMDB reviews, a long-text set outside the benchmark.

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --token-deletion 0.3 --seeds 10 11 12 13 14

Twentieth session: ``--hard-pairs BETA`` weights the batch's hard pairs more (see use_hard_pairs), ``--dropout P``
trains the encoder at dropout P (see use_dropout), ``--concatenate RATE`` joins a text to another of its label as it
enters a batch, and ``--head-concat K`` adds heads fitted on K such joined texts per text too (see use_concatenation).

    python benchmarks/contrastive_tuning.py --dataset sst2 --size 64 --passes 32 --concatenate 0.5 --head-concat 2 --seeds 10 11 12 13 14

Twenty-fourth session: ``--classes-per-batch K`` puts K classes in each contrastive batch (batch_size // K texts a
class; the default holds four texts a class, so AG News and TREC batches hold four classes; see use_classes_per_batch),
and ``--warmup-ratio R`` sets the stage's learning-rate warm-up.

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --classes-per-batch 2 --seeds 10 11 12 13 14 15 16 17 18 19

Twenty-seventh session: ``--crop F`` cuts each text word-piece deletion applies to to a random contiguous span of at
least F of its pieces before deleting (``--crop-only``: without deleting; see use_crop).

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --crop 0.5 [--crop-only] --seeds 10 11 12 13 14 15 16 17 18 19

Thirtieth session: ``--mask-pieces`` has deletion replace the pieces it picks by [MASK] (see use_piece_masking);
``--whole-words`` has it leave out whole words (see use_whole_words).

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --mask-pieces --seeds 10 11 12 13 14 15 16 17 18 19

``--label-anchors TEMPLATE`` adds ``TEMPLATE.format(label)`` (``'{}'``: the label's own name) as one more training text
of each class in the contrastive stage; ``median_C*`` stay the head fitted on the labeled texts alone, and
``anchored_median_C*`` fit it on them plus the anchors.

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --label-anchors '{}' --seeds 10 11 12 13 14 15 16 17 18 19

Twenty-eighth session: ``--test-views K`` adds test-time augmentation read from the same runs: the head's class
probabilities averaged over each test text and K word-piece-deletion views of it (``tta_C1``, ``tta_C10``; the run's
rate and length rule, see deletion_views).

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --test-views 4 --seeds 10 11 12 13 14 15 16 17 18 19

Twenty-ninth session: ``--sam RHO`` trains the contrastive stage with sharpness-aware minimisation of radius RHO (each
step's gradient taken at the weights moved RHO along the batch gradient; twice the compute; see use_sam).

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --sam 0.05 --seeds 10 11 12 13 14 15 16 17 18 19

``--embedding-noise ALPHA`` adds NEFTune's uniform noise to the word embeddings in the contrastive stage (see
use_embedding_noise).

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --embedding-noise 5 --seeds 10 11 12 13 14 15 16 17 18 19

``--simplex-negatives`` pulls different-label pairs to cosine -1/(classes - 1) (a regular simplex of class means)
instead of SetFit's 0 (see use_simplex_negatives).

    python benchmarks/contrastive_tuning.py --dataset ag_news --size 8 --passes 40 --simplex-negatives --seeds 10 11 12 13 14 15 16 17 18 19

``--save-features DIR`` also writes, per run, ``DIR/<dataset>-<size>-p<passes>-s<seed>.npz``: the training and test
embeddings under the tuned encoder (``train_x``, ``test_x``) and under the pre-trained one (``train_x0``, ``test_x0``),
with the label indices (``train_y``, ``test_y``), so head variants can be compared offline (benchmarks/head_study.py).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fewshot  # noqa: E402  (same data loading and sampling as the benchmark)
import tuning  # noqa: E402  (what the tuning scripts share)
from contrastive_variants import (  # noqa: E402
    WeightAverage,
    concatenated_rows,
    encoder_blender,
    soup_encoders,
    use_classes_per_batch,
    use_concatenation,
    use_crop,
    use_cosent,
    use_deletion_limits,
    use_dropout,
    use_embedding_noise,
    use_sam,
    use_simplex_negatives,
    use_frozen_embeddings,
    use_hard_pairs,
    use_piece_masking,
    use_whole_words,
    use_negative_hinge,
    use_pair_list,
    use_pooling_variant,
    use_positive_target,
    use_views,
)


def head_accuracies(train_x, train_y, test_x, test_y, n_classes: int, seed: int) -> dict[str, float]:
    """Test accuracy of headstart's own head (tasks.linear_probe.fit_head) per C, on the features as they are and at unit length."""
    import numpy as np

    from headstart.tasks.linear_probe import fit_head

    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    out = {}
    for name, scale in (("median", lambda x: x), ("unit", unit)):  # fit_head scales to unit median norm itself
        for c in (0.1, 1.0, 10.0, 100.0):
            weight, bias, factor = fit_head(scale(train_x), train_y, n_classes, seed, c)
            predicted = (scale(test_x) * factor @ weight.T + bias).argmax(-1)
            out[f"{name}_C{c:g}"] = float((predicted == test_y).mean())
    return out


def dropout_views(trained, rows: list[tuple[str, str]], config, views: int) -> list:
    """``views`` embeddings of each text with the encoder's dropout on (the pooling layer exact, as in training)."""
    import torch

    from headstart.models.pooling import exact_mean_pooling
    from headstart.tasks.classification import pad_id
    from headstart.tasks.linear_probe import sentence_embeddings
    from headstart.tasks.inference import encode_texts
    from headstart.training.batching import Collator

    model = trained.model
    encoded = encode_texts(trained.tokenizer, [t for t, _ in rows], config.max_length)[0]
    collate = Collator(encoded, pad_id(trained.tokenizer))
    out = []
    torch.manual_seed(12345)
    model.train()
    with torch.no_grad(), exact_mean_pooling(model):
        for _ in range(views):
            parts = [sentence_embeddings(model, collate(list(range(i, min(i + 64, len(rows)))))) for i in range(0, len(rows), 64)]
            out.append(torch.cat(parts).float().numpy())
    model.eval()
    return out


def deletion_views(trained, rows: list[tuple[str, str]], config, views: int) -> list:
    """``views`` embeddings of each text with word-piece deletion applied (training/augment.py, the run's rate and length
    rule; texts below the length rule stay whole), the encoder in eval mode and the run's precision."""
    from headstart.tasks.classification import pad_id
    from headstart.tasks.inference import encode_texts
    from headstart.tasks.linear_probe import embed
    from headstart.training.augment import DELETION_RATE, TokenDeletion
    from headstart.training.batching import Encoded

    model, pad = trained.model.eval(), pad_id(trained.tokenizer)
    encoded = encode_texts(trained.tokenizer, [t for t, _ in rows], config.max_length)[0]
    deletion = TokenDeletion(config.contrastive_token_deletion or DELETION_RATE, trained.tokenizer.all_special_ids, seed=12345)
    return [embed(model, Encoded([deletion(ids) for ids in encoded.input_ids], encoded.labels), pad, config.eval_batch_size, trained.mixed_precision) for _ in range(views)]


def view_accuracies(train_x, views, train_y, test_x, test_y, n_classes: int, seed: int) -> dict[str, float]:
    """Per C: test accuracy of a head fitted on clean + dropout-view features, and the clean head's accuracy on the views."""
    import numpy as np

    from headstart.tasks.linear_probe import fit_head

    out = {}
    stacked_x = np.concatenate([train_x, *views])
    stacked_y = np.concatenate([train_y] * (len(views) + 1))
    for c in (0.1, 1.0, 10.0, 100.0):
        weight, bias, factor = fit_head(stacked_x, stacked_y, n_classes, seed, c)
        out[f"views_C{c:g}"] = float(((test_x * factor @ weight.T + bias).argmax(-1) == test_y).mean())
        weight, bias, factor = fit_head(train_x, train_y, n_classes, seed, c)
        out[f"viewacc_C{c:g}"] = float(np.mean([((v * factor @ weight.T + bias).argmax(-1) == train_y).mean() for v in views]))
    return out


def test_view_accuracies(train_x, train_y, test_x, test_views, test_y, n_classes: int, seed: int) -> dict[str, float]:
    """Per C: test accuracy when the head's class probabilities are averaged over each test text and its views
    (test-time augmentation; ``--test-views``)."""
    import numpy as np

    from headstart.tasks.inference import softmax
    from headstart.tasks.linear_probe import fit_head

    out = {}
    for c in (1.0, 10.0):
        weight, bias, factor = fit_head(train_x, train_y, n_classes, seed, c)
        probabilities = np.mean([softmax(x * factor @ weight.T + bias) for x in (test_x, *test_views)], axis=0)
        out[f"tta_C{c:g}"] = float((probabilities.argmax(-1) == test_y).mean())
    return out


_PRETRAINED: dict = {}
"""save_features' cache: the pre-trained model and tokenizer, and its embeddings per text set (the test sample recurs every seed)."""


def save_features(folder: str, name: str, trained_features: list, train_y, test_y, rows: list, labels: list[str], config) -> None:
    """One run's tuned and pre-trained embeddings of the training and test samples, as ``folder/name.npz``."""
    import numpy as np

    from headstart.catalog.resolve import resolve_base
    from headstart.models.classifier import build_classifier
    from headstart.models.loading import load_tokenizer
    from headstart.tasks.classification import pad_id
    from headstart.tasks.linear_probe import embed
    from headstart.tasks.inference import encode_texts

    if "model" not in _PRETRAINED:
        base = resolve_base("minilm-l6")
        _PRETRAINED["model"], _PRETRAINED["tokenizer"] = build_classifier(base, labels, pooling=config.pooling).eval(), load_tokenizer(base)
    model, tokenizer = _PRETRAINED["model"], _PRETRAINED["tokenizer"]
    pretrained = []
    for texts in (tuple(t for t, _ in r) for r in rows):
        if texts not in _PRETRAINED:
            _PRETRAINED[texts] = embed(model, encode_texts(tokenizer, list(texts), config.max_length)[0], pad_id(tokenizer), config.eval_batch_size, "no")
        pretrained.append(_PRETRAINED[texts])
    Path(folder).mkdir(parents=True, exist_ok=True)
    np.savez(Path(folder) / f"{name}.npz", train_x=trained_features[0], test_x=trained_features[1], train_x0=pretrained[0], test_x0=pretrained[1], train_y=train_y, test_y=test_y)


def minilm_tokenizer():
    """The tokenizer of the pre-trained ``minilm-l6`` every tuning run starts from."""
    from headstart.catalog.resolve import resolve_base
    from headstart.models.loading import load_tokenizer

    return load_tokenizer(resolve_base("minilm-l6"))


def main() -> int:
    parser = tuning.tuning_parser(__doc__)
    parser.add_argument("--passes", type=int, nargs="+", required=True)
    parser.add_argument("--learning-rate", type=float, default=None, help="encoder learning rate (default: headstart's, 2e-5)")
    parser.add_argument("--batch-size", type=int, default=None, help="texts per contrastive batch (default: headstart's, 16)")
    parser.add_argument("--pooling-variant", choices=["default", "with-dropout", "frozen", "raw-mean"], default="default", help="what the contrastive loss reads (see above)")
    parser.add_argument("--interpolate", type=float, nargs="+", default=[1.0], help="weights A of the tuned encoder against the pre-trained one (see above)")
    parser.add_argument("--views", type=int, default=1, help="copies of each text in its contrastive batch (dropout views; see use_views)")
    parser.add_argument("--layer-decay", type=float, default=None, help="layer-wise learning-rate decay (default: headstart's, 1.0 = none)")
    parser.add_argument("--positive-target", type=float, default=1.0, help="cosine same-label pairs are pulled to (default 1, setfit's)")
    parser.add_argument("--negative-hinge", action="store_true", help="different-label pairs penalised only above cosine 0 (see use_negative_hinge)")
    parser.add_argument("--hard-pairs", type=float, default=None, metavar="BETA", help="weight the batch's hard pairs by softmax(BETA * cos) (see use_hard_pairs)")
    parser.add_argument("--sam", type=float, default=None, metavar="RHO", help="sharpness-aware minimisation with radius RHO in the contrastive stage (see use_sam)")
    parser.add_argument("--embedding-noise", type=float, default=None, metavar="ALPHA", help="NEFTune's uniform noise on the word embeddings in the contrastive stage (see use_embedding_noise)")
    parser.add_argument("--simplex-negatives", action="store_true", help="different-label pairs pulled to cosine -1/(classes - 1), not 0 (see use_simplex_negatives)")
    parser.add_argument("--dropout", type=float, default=None, help="the encoder's dropout rate in the contrastive stage (default: the model's, 0.1; see use_dropout)")
    parser.add_argument("--concatenate", type=float, default=None, metavar="RATE", help="join a text to another of its label with this probability as it enters a batch (see use_concatenation)")
    parser.add_argument("--head-concat", type=int, default=0, metavar="K", help="also fit heads on the training texts plus K joined same-label texts per text (concat_C*; see concatenated_rows)")
    parser.add_argument("--cosent", type=float, default=None, metavar="SCALE", help="CoSENT ranking loss with this scale instead of (cos - same)^2 (see use_cosent)")
    parser.add_argument("--token-deletion", type=float, default=None, metavar="RATE", help="word-piece deletion rate of the contrastive stage (default: headstart's; 0 = off)")
    parser.add_argument("--deletion-max-per-class", type=int, default=None, help="runs with more labeled examples in the median class use no deletion (default: headstart's; see use_deletion_limits)")
    parser.add_argument("--deletion-min-pieces", type=int, default=None, help="texts shorter than this are not altered by deletion (default: headstart's; see use_deletion_limits)")
    parser.add_argument("--crop", type=float, default=None, metavar="FRACTION", help="cut each text deletion applies to to a random span of at least FRACTION of its pieces first (see use_crop)")
    parser.add_argument("--mask-pieces", action="store_true", help="deletion replaces the pieces it picks by [MASK] instead of leaving them out (see use_piece_masking)")
    parser.add_argument("--whole-words", action="store_true", help="deletion leaves out whole words rather than single pieces (see use_whole_words)")
    parser.add_argument("--crop-only", action="store_true", help="with --crop: crop without deleting pieces")
    parser.add_argument("--label-anchors", default=None, metavar="TEMPLATE", help="add TEMPLATE.format(label) as one more training text of each class, e.g. '{}' (see below)")
    parser.add_argument("--max-length", type=int, default=None, help="tokens per text (default: headstart's, 128)")
    parser.add_argument("--head-views", type=int, default=0, help="also fit heads on the training features plus this many dropout views of them")
    parser.add_argument("--head-view-kind", choices=["dropout", "deletion"], default="dropout", help="--head-views made by encoder dropout (default) or by word-piece deletion (see deletion_views)")
    parser.add_argument("--test-views", type=int, default=0, help="also score heads whose probabilities are averaged over each test text and this many word-piece-deletion views of it (tta_C*)")
    parser.add_argument("--save-features", default=None, metavar="DIR", help="also save each run's tuned and pre-trained embeddings here (see above)")
    parser.add_argument("--average-from", type=float, default=None, help="average the encoder's weights over the steps after this fraction of the run (see WeightAverage)")
    parser.add_argument("--freeze-embeddings", action="store_true", help="keep the embedding layer as pre-trained in the contrastive stage")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16"], default=None, help="arithmetic (default: headstart's, auto: bf16 autocast where the CPU has native bf16)")
    parser.add_argument("--schedule", choices=["linear", "slanted", "constant"], default=None, help="learning-rate schedule (default: headstart's, linear)")
    parser.add_argument("--pair-list", action="store_true", help="train on setfit's pair list, 16 pairs a step (see use_pair_list)")
    parser.add_argument("--pair-list-mix", action="store_true", help="class-grouped batches plus half a pass of setfit's pairs in every pass (see use_pair_list)")
    parser.add_argument("--classes-per-batch", type=int, default=None, help="classes sharing a contrastive batch (default: headstart's, four texts a class; see use_classes_per_batch)")
    parser.add_argument("--warmup-ratio", type=float, default=None, help="fraction of the stage's steps spent warming up the learning rate (default: headstart's, 0.1)")
    parser.add_argument("--soup", type=int, default=1, help="average the encoder weights of this many runs per seed (see soup_encoders)")
    parser.add_argument("--out", default="bench-out/contrastive-tuning.jsonl")
    args = parser.parse_args()
    pool, test, labels = tuning.tuning_data(args)
    use_pooling_variant(args.pooling_variant)
    if args.views > 1:
        use_views(args.views)
    if args.positive_target != 1.0:
        use_positive_target(args.positive_target)
    if args.negative_hinge:
        use_negative_hinge()
    if args.cosent is not None:
        use_cosent(args.cosent)
    if args.concatenate is not None:
        use_concatenation(args.concatenate)
    if args.hard_pairs is not None:
        use_hard_pairs(args.hard_pairs)
    if args.dropout is not None:
        use_dropout(args.dropout)
    if args.sam is not None:
        use_sam(args.sam)
    if args.embedding_noise is not None:
        use_embedding_noise(args.embedding_noise)
    if args.simplex_negatives:
        use_simplex_negatives(len(labels))
    use_deletion_limits(args.deletion_min_pieces, args.deletion_max_per_class)
    if args.freeze_embeddings:
        use_frozen_embeddings()
    if args.crop is not None:
        use_crop(args.crop, delete=not args.crop_only)
    if args.mask_pieces or args.whole_words:
        vocabulary = minilm_tokenizer().get_vocab()
        if args.mask_pieces:
            use_piece_masking(vocabulary["[MASK]"])
        if args.whole_words:
            use_whole_words(frozenset(i for piece, i in vocabulary.items() if piece.startswith("##")))
    if args.classes_per_batch is not None:
        use_classes_per_batch(args.classes_per_batch)
    if args.pair_list or args.pair_list_mix:
        use_pair_list(mix=args.pair_list_mix)
    if args.soup > 1 and args.average_from is not None:
        parser.error("--soup and --average-from cannot be combined: the weight average follows one model's steps")
    averager = WeightAverage(args.average_from) if args.average_from is not None else None
    import numpy as np

    from headstart.training.config import TrainConfig
    from headstart.training.sampling import class_grouped_batches

    index = {label: i for i, label in enumerate(labels)}
    overrides = {k: v for k, v in (("learning_rate", args.learning_rate), ("batch_size", args.batch_size), ("max_length", args.max_length), ("layer_decay", args.layer_decay), ("schedule", args.schedule), ("precision", args.precision), ("contrastive_token_deletion", args.token_deletion), ("warmup_ratio", args.warmup_ratio)) if v is not None}
    for passes in args.passes:
        for seed in args.seeds:
            train = fewshot.sample_per_class(pool, args.size, seed)
            config = TrainConfig(method="contrastive", seed=seed, contrastive_passes=passes, **overrides)
            if averager:
                averager.reset(passes * len(class_grouped_batches([index[l] for _, l in train], config.batch_size, 0)))
            anchors = [(args.label_anchors.format(label), label) for label in labels] if args.label_anchors else []
            seconds, trained = tuning.train_headstart(train + anchors, labels, config)
            if averager:
                averager.apply()
            targets = [np.array([index[l] for _, l in rows]) for rows in (train, test)]
            members = {}
            if args.soup > 1:
                runs = [trained]
                for k in range(1, args.soup):
                    more, member = tuning.train_headstart(train, labels, dataclasses.replace(config, seed=seed + 1000 * k))
                    seconds, runs = seconds + more, runs + [member]
                for k, member in enumerate(runs):
                    alone = tuning.embed_rows(member, [train, test], config)
                    members[f"member{k}_C10"] = head_accuracies(alone[0], targets[0], alone[1], targets[1], len(labels), seed)["median_C10"]
                trained = soup_encoders(runs)
            blend = encoder_blender(trained, labels, config) if args.interpolate != [1.0] else (lambda alpha: trained)
            for alpha in args.interpolate:
                features = tuning.embed_rows(blend(alpha), [train, test, anchors] if anchors else [train, test], config)
                accuracies = head_accuracies(features[0], targets[0], features[1], targets[1], len(labels), seed)
                if anchors:  # the same encoder's head fitted on the labeled texts plus the anchors
                    anchored = np.vstack([features[0], features[2]])
                    anchor_y = np.concatenate([targets[0], [index[l] for _, l in anchors]])
                    accuracies |= {f"anchored_{k}": v for k, v in head_accuracies(anchored, anchor_y, features[1], targets[1], len(labels), seed).items()}
                if args.save_features and alpha == 1.0:
                    save_features(args.save_features, f"{args.dataset}-{args.size}-p{passes}-s{seed}", features, *targets, [train, test], labels, config)
                if args.head_views:
                    views = (deletion_views if args.head_view_kind == "deletion" else dropout_views)(trained, train, config, args.head_views)
                    accuracies |= view_accuracies(features[0], views, targets[0], features[1], targets[1], len(labels), seed)
                if args.test_views:
                    views = deletion_views(blend(alpha), test, config, args.test_views)
                    accuracies |= test_view_accuracies(features[0], targets[0], features[1], views, targets[1], len(labels), seed)
                extras = {"pooling_variant": args.pooling_variant} if args.pooling_variant != "default" else {}
                extras |= {"interpolate": alpha} if alpha != 1.0 else {}
                extras |= {"views": args.views} if args.views > 1 else {}
                extras |= {"head_views": args.head_views, "head_view_kind": args.head_view_kind} if args.head_views else {}
                extras |= {"test_views": args.test_views} if args.test_views else {}
                extras |= {"positive_target": args.positive_target} if args.positive_target != 1.0 else {}
                extras |= {"average_from": args.average_from} if averager else {}
                extras |= {"freeze_embeddings": True} if args.freeze_embeddings else {}
                extras |= {"negative_hinge": True} if args.negative_hinge else {}
                extras |= {"cosent": args.cosent} if args.cosent is not None else {}
                if args.head_concat:
                    joined = tuning.embed_rows(blend(alpha), [concatenated_rows(train, args.head_concat, seed)], config)[0]
                    copies = [joined[k :: args.head_concat] for k in range(args.head_concat)]  # concatenated_rows lists a text's copies together
                    stacked = view_accuracies(features[0], copies, targets[0], features[1], targets[1], len(labels), seed)
                    accuracies |= {k.replace("views_", "concat_"): v for k, v in stacked.items() if k.startswith("views_")}
                extras |= {"concatenate": args.concatenate} if args.concatenate is not None else {}
                extras |= {"head_concat": args.head_concat} if args.head_concat else {}
                extras |= {"hard_pairs": args.hard_pairs} if args.hard_pairs is not None else {}
                extras |= {"dropout": args.dropout} if args.dropout is not None else {}
                extras |= {"sam": args.sam} if args.sam is not None else {}
                extras |= {"embedding_noise": args.embedding_noise} if args.embedding_noise is not None else {}
                extras |= {"simplex_negatives": True} if args.simplex_negatives else {}
                extras |= {"deletion_min_pieces": args.deletion_min_pieces} if args.deletion_min_pieces is not None else {}
                extras |= {"deletion_max_per_class": args.deletion_max_per_class} if args.deletion_max_per_class is not None else {}
                extras |= {"label_anchors": args.label_anchors} if args.label_anchors else {}
                extras |= {"mask_pieces": True} if args.mask_pieces else {}
                extras |= {"whole_words": True} if args.whole_words else {}
                extras |= {"crop": args.crop, "crop_only": args.crop_only} if args.crop is not None else {}
                extras |= {"pair_list": True} if args.pair_list else {}
                extras |= {"pair_list_mix": True} if args.pair_list_mix else {}
                extras |= {"classes_per_batch": args.classes_per_batch} if args.classes_per_batch is not None else {}
                extras |= {"soup": args.soup, **members} if args.soup > 1 else {}
                extras |= {"contrastive_token_deletion": config.contrastive_token_deletion}  # the rate the run used, default or not
                tuning.append_row({"dataset": args.dataset, "size": args.size, "passes": passes, **overrides, **extras, "seed": seed, "train_seconds": seconds, **accuracies}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
