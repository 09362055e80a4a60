"""Gradual unfreezing (Howard & Ruder 2018, ULMFiT): the new head trains alone first, then encoder layers join from the top.

A freshly initialised head sends large, random gradients into a pre-trained
encoder; letting it settle first, then releasing one layer group at a time from
the top (the most task-specific layers) down to the embeddings (the most
general), protects what pre-training learned.

Frozen parameters have ``requires_grad`` off, so autograd computes no gradient
for them (backward stops at the lowest trainable layer) and, their ``.grad``
being None, AdamW neither moves them (no weight decay either) nor creates
their state: when a group joins, its Adam moments and bias correction start
fresh while the head's continue.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from headstart.errors import ConfigError


@dataclass
class LayerGroup:
    name: str
    """'layer 5', ..., 'embeddings'."""
    params: list[nn.Parameter]


class GradualUnfreezing:
    """Which encoder layer groups train in each epoch: none for the first ``every`` epochs, then one more every ``every`` epochs.

    The layer groups come from the optimizer's parameter groups, which name their
    layer (``layer`` and ``depth``, see ``models.classifier.parameter_groups``);
    groups without one (the head, the pooler) always train.
    """

    def __init__(self, param_groups: list[dict], every: int):
        by_depth: dict[int, LayerGroup] = {}
        for group in param_groups:
            if "depth" in group:
                by_depth.setdefault(group["depth"], LayerGroup(group["layer"], [])).params.extend(group["params"])
        if not by_depth:
            raise ConfigError(
                "--gradual-unfreeze needs optimizer groups that name their encoder layer; this task's do not "
                "(text classification with --method full or lora and --task tokens support it). Drop --gradual-unfreeze."
            )
        self.every = every
        self.layers = [by_depth[depth] for depth in sorted(by_depth)]
        """Top first: the order in which they unfreeze."""

    def unfrozen_count(self, epoch: int) -> int:
        """Layer groups that train in ``epoch`` (1-based)."""
        return min(len(self.layers), max(0, (epoch - 1) // self.every))

    def all_train_from(self) -> int:
        """The first epoch in which every layer group trains."""
        return len(self.layers) * self.every + 1

    def apply(self, epoch: int) -> list[str]:
        """Freeze or unfreeze every layer group for ``epoch``; the names of those that join in this epoch."""
        count = self.unfrozen_count(epoch)
        for index, layer in enumerate(self.layers):
            for param in layer.params:
                param.requires_grad_(index < count)
        return [layer.name for layer in self.layers[self.unfrozen_count(epoch - 1) : count]]

    def release(self) -> None:
        """Every layer group trainable again (as the model was handed in)."""
        for layer in self.layers:
            for param in layer.params:
                param.requires_grad_(True)

    def plan(self, epochs: int) -> str:
        """One line for the log: the order, and what the epoch budget leaves frozen."""
        names = ", ".join(layer.name for layer in self.layers)
        line = f"gradual unfreezing: the head trains alone for {self.every} epoch(s), then one more layer group joins every {self.every} epoch(s), top first ({names})"
        never = [layer.name for index, layer in enumerate(self.layers) if index >= self.unfrozen_count(epochs)]
        if never:
            line += f"; note: with --epochs {epochs}, {', '.join(never)} never train (every group trains from epoch {self.all_train_from()})"
        return line
