"""Checkpoints for step-based training, written only with safetensors and JSON.

A checkpoint folder holds ``model.safetensors`` (weights), ``optimizer.safetensors``
(AdamW moments, flattened as ``state.<param>.<name>``, plus the torch RNG state)
and ``state.json`` (step, data position, optimizer groups, scheduler, losses,
and a fingerprint of the settings it belongs to). No pickle is ever loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from headstart.errors import ConfigError, RunDirError
from headstart.runs.atomic import StagedDirectory, atomic_write_json

STATE_FILE = "state.json"


@dataclass
class Checkpoint:
    """What a resumed run needs besides the weights and optimizer moments."""

    optimizer_steps: int
    epoch: int
    step_in_epoch: int
    fingerprint: dict[str, Any]
    losses: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _flatten_optimizer(state: dict) -> tuple[dict[str, torch.Tensor], dict[str, dict]]:
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict] = {}
    for pid, entries in state["state"].items():
        for name, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{pid}.{name}"] = value.detach().cpu().contiguous().clone()
            else:
                scalars.setdefault(str(pid), {})[name] = value
    return tensors, scalars


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], scalars: dict[str, dict], groups: list[dict]) -> dict:
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if not key.startswith("state."):
            continue
        _, pid, name = key.split(".", 2)
        state.setdefault(int(pid), {})[name] = value
    for pid, entries in scalars.items():
        state.setdefault(int(pid), {}).update(entries)
    return {"state": state, "param_groups": groups}


def save_checkpoint(folder: Path, model: nn.Module, optimizer, scheduler, checkpoint: Checkpoint) -> None:
    """Write a complete checkpoint into ``folder``, replacing the previous one in a single rename."""
    from safetensors.torch import save_file

    weights = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    opt_state = optimizer.state_dict()
    opt_tensors, opt_scalars = _flatten_optimizer(opt_state)
    opt_tensors["rng.torch"] = torch.get_rng_state()
    with StagedDirectory(folder, overwrite=True) as stage:
        save_file(weights, str(stage / "model.safetensors"), metadata={"format": "pt"})
        save_file(opt_tensors, str(stage / "optimizer.safetensors"), metadata={"format": "pt"})
        atomic_write_json(stage / STATE_FILE, {
            "optimizer_steps": checkpoint.optimizer_steps,
            "epoch": checkpoint.epoch,
            "step_in_epoch": checkpoint.step_in_epoch,
            "fingerprint": checkpoint.fingerprint,
            "losses": checkpoint.losses,
            "extra": checkpoint.extra,
            "optimizer_groups": opt_state["param_groups"],
            "optimizer_scalars": opt_scalars,
            "scheduler": scheduler.state_dict(),
        })


def read_checkpoint(folder: Path, fingerprint: dict[str, Any]) -> tuple[Checkpoint, dict]:
    """The checkpoint's bookkeeping and raw state; refuses one written with other settings."""
    path = folder / STATE_FILE
    if not path.is_file():
        raise RunDirError(f"{folder}: not a complete checkpoint (no {STATE_FILE}).")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise RunDirError(f"{path}: unreadable checkpoint state ({err}); start over with --overwrite.") from None
    if raw["fingerprint"] != fingerprint:
        changed = sorted(k for k in set(raw["fingerprint"]) | set(fingerprint) if raw["fingerprint"].get(k) != fingerprint.get(k))
        details = ", ".join(f"{k}: {raw['fingerprint'].get(k)!r} then, {fingerprint.get(k)!r} now" for k in changed)
        raise ConfigError(f"the checkpoint in {folder} was written with other settings ({details}). Resume with the same settings, or start over with --overwrite.")
    return Checkpoint(raw["optimizer_steps"], raw["epoch"], raw["step_in_epoch"], raw["fingerprint"], raw["losses"], raw["extra"]), raw


def restore_checkpoint(folder: Path, raw: dict, model: nn.Module, optimizer, scheduler) -> torch.Tensor:
    """Load weights, optimizer and scheduler state; returns the saved torch RNG state (apply it right before the next step)."""
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(folder / "model.safetensors")))
    tensors = load_file(str(folder / "optimizer.safetensors"))
    optimizer.load_state_dict(_unflatten_optimizer(tensors, raw["optimizer_scalars"], raw["optimizer_groups"]))
    scheduler.load_state_dict(raw["scheduler"])
    return tensors["rng.torch"]
