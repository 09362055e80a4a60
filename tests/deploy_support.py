"""A tiny trained run shared by the deploy tests (trained once per test session)."""

from __future__ import annotations

from pathlib import Path

from conftest import ASSETS, build_tiny_bert

_CACHE: dict[str, Path] = {}

TEXTS = ["the movie was great", "awful acting and a boring plot", "it is okay", "great fun", "boring"]


def tiny_run(tmp_path_factory) -> Path:
    """A tiny BERT fine-tuned on tests/assets/tiny_sentiment.csv, written as a run directory."""
    if "run" not in _CACHE:
        from headstart.api import train_run
        from headstart.data.classification import DataSpec
        from headstart.training.config import TrainConfig

        root = tmp_path_factory.mktemp("deploy")
        base = build_tiny_bert(root / "base")
        config = TrainConfig(method="full", epochs=12, learning_rate=3e-3, head_learning_rate=3e-3, batch_size=8, patience=0, seed=3, precision="fp32")
        spec = DataSpec(train=str(ASSETS / "tiny_sentiment.csv"), validation_fraction=0.25)
        _CACHE["run"] = train_run(spec, base=str(base), config=config, output=root / "tiny", log=lambda m: None).path
    return _CACHE["run"]
