"""The variants of headstart's contrastive stage that benchmarks/contrastive_tuning.py compares with the default.

Each ``use_*`` function patches ``headstart.tasks.contrastive`` for this process only; ``WeightAverage`` wraps its
step; ``encoder_blender`` interpolates a trained encoder with the pre-trained one. What each variant is, and the
command that runs it, is in contrastive_tuning.py's docstring; what each measured is in BENCHMARKS.md ("Few labels").
"""

from __future__ import annotations


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


def use_positive_target(target: float) -> None:
    """Patch the contrastive loss so same-label pairs are pulled to cosine ``target`` instead of 1 (this process only)."""
    import functools

    import headstart.tasks.contrastive as contrastive

    contrastive.pair_cosine_loss = functools.partial(contrastive.pair_cosine_loss, positive_target=target)


def use_negative_hinge() -> None:
    """Patch the contrastive loss so different-label pairs are penalised only above cosine 0: relu(cos)^2, not cos^2.

    SetFit's loss pulls every negative pair to cosine exactly 0, also those the pre-trained encoder already put at a
    negative cosine; the hinge leaves those where they are, so less of the pre-trained geometry is rewritten
    (this process only).
    """
    import functools

    import headstart.tasks.contrastive as contrastive

    contrastive.pair_cosine_loss = functools.partial(contrastive.pair_cosine_loss, negative_hinge=True)


def use_cosent(scale: float = 20.0) -> None:
    """Patch the contrastive loss to CoSENT (Su 2022): a ranking loss on the batch's cosines (this process only).

    ``log(1 + sum over (different-label pair, same-label pair) of exp(scale * (cos_neg - cos_pos)))``: every
    different-label pair should sit below every same-label pair, but no pair is pulled to a fixed cosine, so classes
    are not collapsed to a point as (cos - same)^2 collapses them.
    """
    import torch

    import headstart.tasks.contrastive as contrastive

    def cosent_loss(embeddings, labels, positive_target=1.0, negative_hinge=False):
        unit = torch.nn.functional.normalize(embeddings.float(), dim=-1)
        cosine = unit @ unit.T
        upper = torch.triu(torch.ones_like(cosine, dtype=torch.bool), diagonal=1)
        same = (labels[:, None] == labels[None, :]) & upper
        different = (labels[:, None] != labels[None, :]) & upper
        if not same.any() or not different.any():
            return cosine.sum() * 0.0
        gaps = scale * (cosine[different][:, None] - cosine[same][None, :])
        return torch.logsumexp(torch.cat([gaps.reshape(-1), gaps.new_zeros(1)]), dim=0)

    contrastive.pair_cosine_loss = cosent_loss


def use_simplex_negatives(classes: int) -> None:
    """Patch the contrastive loss so different-label pairs are pulled to cosine ``-1 / (classes - 1)``, not 0 (this process only).

    That is the cosine between the vertices of a regular simplex centred at the origin: the geometry in which
    ``classes`` unit class means are as far apart as they can be, where SetFit's target 0 makes them orthogonal.
    Four classes: -1/3; two: -1. Same-label pairs are still pulled to 1.
    """
    import functools

    import headstart.tasks.contrastive as contrastive

    contrastive.pair_cosine_loss = functools.partial(contrastive.pair_cosine_loss, negative_target=-1.0 / (classes - 1))


def use_hard_pairs(beta: float) -> None:
    """Patch the contrastive loss so the batch's hard pairs weigh more: pair_cosine_loss's ``hard_pairs`` (this process only).

    SetFit's loss weighs every pair of a kind alike; with ``beta > 0`` different-label pairs at a high cosine and
    same-label pairs at a low one count for more, so once most pairs sit where the loss wants them the step follows
    the few that do not. ``beta = 0`` is the default loss.
    """
    import functools

    import headstart.tasks.contrastive as contrastive

    contrastive.pair_cosine_loss = functools.partial(contrastive.pair_cosine_loss, hard_pairs=beta)


def use_dropout(rate: float) -> None:
    """Patch the contrastive stage so the encoder trains with this dropout rate instead of its config's (this process only).

    Every ``nn.Dropout`` of the model built for the run gets ``p = rate`` (BERT's hidden and attention dropout; the
    pooling layer's dropouts stay off under exact_mean_pooling). Embeddings for the head are taken in eval mode, so
    only training sees the change.
    """
    import torch

    import headstart.tasks.contrastive as contrastive

    build = contrastive.build_classifier

    def build_with_dropout(*args, **kwargs):
        model = build(*args, **kwargs)
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = rate
        return model

    contrastive.build_classifier = build_with_dropout


def use_sam(rho: float) -> None:
    """Patch the contrastive step to sharpness-aware minimisation (SAM; Foret et al. 2021) with radius ``rho`` (this process only).

    Each step takes the batch gradient ``g`` at the weights ``w``, moves to ``w + rho * g / ||g||`` (the norm over all
    trained parameters), takes the batch gradient there and returns a loss whose backward gives that second gradient
    at ``w`` (the weights are restored first), so the loop's clipping and optimizer step are unchanged. Two forward and
    backward passes a step: twice the default's compute.
    """
    import torch

    import headstart.tasks.contrastive as contrastive

    inner = contrastive.contrastive_step

    def sam_step(model, batch):
        params = [p for p in model.parameters() if p.requires_grad]
        first = torch.autograd.grad(inner(model, batch), params, allow_unused=True)
        grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, first)]
        norm = torch.sqrt(sum((g.float() ** 2).sum() for g in grads))
        moves = [g * (rho / (norm + 1e-12)) for g in grads]
        with torch.no_grad():
            for p, e in zip(params, moves):
                p.add_(e)
        loss = inner(model, batch)
        second = torch.autograd.grad(loss, params, allow_unused=True)
        with torch.no_grad():
            for p, e in zip(params, moves):
                p.sub_(e)
        surrogate = sum((p * g).sum() for p, g in zip(params, second) if g is not None)
        return surrogate - surrogate.detach() + loss.detach()  # the value of the loss at w + e, the gradient taken there

    contrastive.contrastive_step = sam_step


def use_embedding_noise(alpha: float) -> None:
    """Patch the contrastive stage so the word embeddings get uniform noise in training (NEFTune, Jain et al. 2023; this process only).

    A forward hook on the encoder's word-embedding layer adds ``U(-1, 1) * alpha / sqrt(L * d)`` to its output while
    the model is in training mode (``L`` the batch's padded length, ``d`` the hidden size); embeddings for the head
    are taken in eval mode, without noise. No extra compute.
    """
    import torch

    import headstart.tasks.contrastive as contrastive

    build = contrastive.build_classifier

    def noisy(module, inputs, output):
        if not module.training:
            return output
        scale = alpha / (output.size(1) * output.size(-1)) ** 0.5
        return output + torch.empty_like(output).uniform_(-1.0, 1.0) * scale

    def build_with_noise(*args, **kwargs):
        model = build(*args, **kwargs)
        model.get_input_embeddings().register_forward_hook(noisy)
        return model

    contrastive.build_classifier = build_with_noise


def use_concatenation(rate: float, seed: int = 0, max_length: int = 128) -> None:
    """Patch the contrastive stage so a text sometimes enters its batch joined to another text of its label (this process only).

    Each time a text enters a batch, with probability ``rate`` the word pieces of a random other training text of the
    same label are appended to it ([CLS] a [SEP] + b [SEP] becomes [CLS] a b [SEP], cut to ``max_length``), so the
    encoder also sees longer texts of the class than the sample holds: SST-2's training texts are phrases (median 7
    words), its test texts whole sentences (median 19). The label is kept, since both halves carry it.
    """
    import random

    import headstart.tasks.contrastive as contrastive
    from headstart.training.batching import Collator, Encoded

    rng = random.Random(seed)

    class ConcatenatingCollator(Collator):
        def __init__(self, data, pad_token_id, augment=None):
            super().__init__(data, pad_token_id, augment)
            self.by_label: dict[int, list[int]] = {}
            for index, label in enumerate(data.labels):
                self.by_label.setdefault(label, []).append(index)

        def __call__(self, indices):
            rows = []
            for i in indices:
                ids = self.data.input_ids[i]
                partners = [j for j in self.by_label[self.data.labels[i]] if j != i]
                if partners and rng.random() < rate:
                    other = self.data.input_ids[rng.choice(partners)]
                    ids = (ids[:-1] + other[1:-1])[: max_length - 1] + ids[-1:]
                rows.append(ids)
            joined = Encoded(rows, [self.data.labels[i] for i in indices])
            return Collator(joined, self.pad_token_id, self.augment)(list(range(len(rows))))

    contrastive.Collator = ConcatenatingCollator


def concatenated_rows(rows: list[tuple[str, str]], copies: int, seed: int) -> list[tuple[str, str]]:
    """``copies`` texts per training text, each it joined (with a space) to a random other training text of its label."""
    import random

    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for index, (_, label) in enumerate(rows):
        by_label.setdefault(label, []).append(index)
    out = []
    for index, (text, label) in enumerate(rows):
        partners = [j for j in by_label[label] if j != index] or [index]
        out += [(f"{text} {rows[rng.choice(partners)][0]}", label) for _ in range(copies)]
    return out


def use_views(views: int) -> None:
    """Patch the contrastive stage so every text enters its batch ``views`` times (this process only).

    Each copy gets its own dropout mask, so a text and its copy form a positive pair (SimCSE's unsupervised signal);
    setfit gets the same from its self-pairs (its pair list is combinations *with* replacement).
    """
    import headstart.tasks.contrastive as contrastive

    grouped = contrastive.class_grouped_batches
    contrastive.class_grouped_batches = lambda labels, batch_size, seed: [b * views for b in grouped(labels, batch_size, seed)]


def use_deletion_limits(min_pieces: int | None = None, max_per_class: int | None = None) -> None:
    """Move the word-piece deletion's limits (training/augment.py) for this process: texts of ``min_pieces`` or more are
    altered, in runs whose median text is that long (0: every text, every run), and runs whose median class has at most
    ``max_per_class`` labeled examples use it; None keeps augment's own value."""
    import headstart.training.augment as augment

    if min_pieces is not None:
        augment.MIN_PIECES = min_pieces
    if max_per_class is not None:
        augment.MAX_PER_CLASS = max_per_class


def use_crop(min_fraction: float, delete: bool = True) -> None:
    """Patch word-piece deletion (training/augment.TokenDeletion) so each text it applies to is first cut to one random
    contiguous span of its word pieces, between ``min_fraction`` of them and all (independent cropping, as Contriever
    does for retrieval), then has pieces left out at the run's rate unless ``delete`` is False (this process only).
    Special tokens at the two ends stay; texts deletion does not apply to stay whole."""
    import headstart.training.augment as augment

    def call(self, ids: list[int]) -> list[int]:
        if not self.applies_to(ids):
            return ids
        head = ids[:1] if ids and ids[0] in self.special_ids else []
        tail = ids[-1:] if len(ids) > 1 and ids[-1] in self.special_ids else []
        body = ids[len(head) : len(ids) - len(tail)]
        length = self.rng.randint(max(1, int(min_fraction * len(body))), len(body))
        start = self.rng.randint(0, len(body) - length)
        cropped = head + body[start : start + length] + tail
        return self.delete(cropped) if delete else cropped

    augment.TokenDeletion.__call__ = call


def use_piece_masking(mask_id: int) -> None:
    """Patch word-piece deletion (training/augment.TokenDeletion) so the pieces it picks are replaced by ``mask_id``
    (the tokenizer's [MASK]) rather than left out: same rate and same texts, but the text keeps its length and every
    other piece its position (this process only; thirtieth session)."""
    import headstart.training.augment as augment

    def delete(self, ids: list[int]) -> list[int]:
        return [token if token in self.special_ids or self.rng.random() >= self.rate else mask_id for token in ids]

    augment.TokenDeletion.delete = delete


def use_whole_words(continuations: frozenset[int]) -> None:
    """Patch word-piece deletion so it leaves out whole words: each word (a piece not in ``continuations``, the
    tokenizer's ``##`` pieces, with the continuations after it) goes with probability the run's rate, as in EDA's
    random deletion of words (this process only; thirtieth session). Never empties a text."""
    import headstart.training.augment as augment

    def delete(self, ids: list[int]) -> list[int]:
        kept, dropping = [], False
        for token in ids:
            if token in self.special_ids:
                kept.append(token)
                continue
            if token not in continuations:
                dropping = self.rng.random() < self.rate
            if not dropping:
                kept.append(token)
        return kept if self.pieces(kept) else ids

    augment.TokenDeletion.delete = delete


def use_classes_per_batch(classes: int) -> None:
    """Patch the class-grouped sampler (training/sampling.py) to put ``classes`` classes in a batch (at most the task's),
    each with batch_size // classes texts, instead of its four texts a class (this process only)."""
    import headstart.training.sampling as sampling

    sampling.classes_per_batch = lambda n_classes, batch_size: max(2, min(n_classes, classes))


def use_frozen_embeddings() -> None:
    """Patch the contrastive stage so the encoder's embedding layer (word, position, type) stays as pre-trained (this process only)."""
    import headstart.tasks.contrastive as contrastive

    head_names = contrastive.head_parameter_names
    contrastive.head_parameter_names = lambda model: head_names(model) | {n for n, _ in model.named_parameters() if ".embeddings." in n}


def use_pair_list(pairs_per_step: int = 16, mix: bool = False) -> None:
    """Patch the contrastive stage to train on setfit's pair list instead of class-grouped batches (this process only).

    setfit 1.2 (``setfit/sampler.py``, ``num_iterations=20``) lists every same-label pair *with* replacement (a text
    with itself included) and every different-label pair, and cycles through each list until it has 20 x N positives
    and 20 x N negatives; each step is 16 random pairs (32 texts), the loss (cos - same)^2 over those pairs only.
    Here every pass draws N / 2 positives and N / 2 negatives from the two lists, cycled in an order shuffled once by
    the run's seed, so 40 passes give setfit's 20 x N of each, in batches of 16 pairs. The lists are quadratic in N,
    as setfit's are: this is a tuning experiment for the small settings, not a product path.

    With ``mix`` every pass holds headstart's class-grouped batches (all-pairs loss) *and* half a pass of pair batches
    (N / 4 positives and N / 4 negatives, pair loss), shuffled together: twice headstart's compute, so 40 passes are
    setfit's compute, and half of setfit's pairs.
    """
    import itertools
    import random

    import torch

    import headstart.tasks.contrastive as contrastive
    from headstart.training.batching import Collator, Encoded

    PAIR_MARK = 1_000_000
    state: dict = {}

    grouped, grouped_step = contrastive.class_grouped_batches, contrastive.contrastive_step
    share = 4 if mix else 2

    def pair_batches(labels, batch_size, seed):
        # tasks/contrastive.py seeds pass p of a run as config.seed * 1000 + p: one pair list per run, cycled over its passes.
        key = (seed // 1000, tuple(labels))
        if state.get("key") != key:
            rng = random.Random(seed // 1000)
            pairs = list(itertools.combinations_with_replacement(range(len(labels)), 2))
            positives = [p for p in pairs if labels[p[0]] == labels[p[1]]]
            negatives = [p for p in pairs if labels[p[0]] != labels[p[1]]]
            rng.shuffle(positives)
            rng.shuffle(negatives)
            state.update(key=key, lists=(positives, negatives), cursor=[0, 0])
        picked = []
        for which in (0, 1):
            members = state["lists"][which]
            for _ in range(len(labels) // share):
                picked.append(members[state["cursor"][which] % len(members)])
                state["cursor"][which] += 1
        random.Random(seed).shuffle(picked)
        # With mix, pair batches index the second copy of the examples (see marked_collator), so the step can tell them apart.
        offset = len(labels) if mix else 0
        batches = [[i + offset for pair in picked[k : k + pairs_per_step] for i in pair] for k in range(0, len(picked), pairs_per_step)]
        if mix:
            batches += grouped(labels, batch_size, seed)
            random.Random(seed + 1).shuffle(batches)
        return batches

    def marked_collator(encoded, pad_token_id):
        """Examples twice over; the second copy's labels carry PAIR_MARK, so a batch drawn from it takes the pair loss."""
        types = encoded.token_type_ids and encoded.token_type_ids * 2
        return Collator(Encoded(encoded.input_ids * 2, list(encoded.labels) + [label + PAIR_MARK for label in encoded.labels], types), pad_token_id)

    def pair_step(model, batch):
        if mix:
            if int(batch["labels"].min()) < PAIR_MARK:
                return grouped_step(model, batch)
            batch = {**batch, "labels": batch["labels"] - PAIR_MARK}
        unit = torch.nn.functional.normalize(contrastive.sentence_embeddings(model, batch).float(), dim=-1)
        cosine = (unit[0::2] * unit[1::2]).sum(-1)
        same = (batch["labels"][0::2] == batch["labels"][1::2]).float()
        return ((cosine - same) ** 2).mean()

    contrastive.class_grouped_batches = pair_batches
    contrastive.contrastive_step = pair_step
    if mix:
        contrastive.Collator = marked_collator


class WeightAverage:
    """``--average-from F``: the uniform mean of the encoder's weights over the last ``1 - F`` of the contrastive steps.

    Stochastic weight averaging (Izmailov et al. 2018) at no extra forward or backward pass: the patched step adds the
    current weights (those after the previous optimizer step) to a running sum once the run is past the fraction
    ``F`` of its steps; ``apply`` adds the final weights and writes the mean into the model.
    """

    def __init__(self, start_fraction: float):
        import headstart.tasks.contrastive as contrastive

        self.start_fraction, self.inner = start_fraction, contrastive.contrastive_step
        contrastive.contrastive_step = self.step
        self.reset(1)

    def reset(self, total_steps: int) -> None:
        self.start, self.calls, self.total, self.count, self.params = int(self.start_fraction * total_steps), 0, None, 0, None

    def add(self) -> None:
        import torch

        with torch.no_grad():
            for total, param in zip(self.total, self.params):
                total.add_(param.detach())
        self.count += 1

    def step(self, model, batch):
        import torch

        if self.params is None:
            self.params = [p for p in model.parameters() if p.requires_grad]
            self.total = [torch.zeros_like(p) for p in self.params]
        if self.calls > self.start:  # the weights now are those after optimizer step self.calls
            self.add()
        self.calls += 1
        return self.inner(model, batch)

    def apply(self) -> None:
        """Add the final weights and write the mean into the model."""
        import torch

        self.add()
        with torch.no_grad():
            for total, param in zip(self.total, self.params):
                param.copy_(total / self.count)


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


def soup_encoders(members: list):
    """Write the uniform mean of the members' encoder weights into the first member and return it (head untouched).

    A model soup (Wortsman et al. 2022, "Model soups"): runs from the same pre-trained encoder on the same examples, in
    different batch orders and dropout masks, averaged in weight space, so the kept model costs no more to serve.
    """
    import torch

    from headstart.models.classifier import head_parameter_names

    head = head_parameter_names(members[0].model)
    states = [m.model.state_dict() for m in members]
    with torch.no_grad():
        for name, value in states[0].items():
            if name not in head and value.is_floating_point():
                value.copy_(sum(state[name] for state in states) / len(states))
    return members[0]
