"""Crashes never leave a complete-looking run; Ctrl-C keeps the best model so far."""

from __future__ import annotations

import pytest
import yaml

from conftest import ASSETS
from headstart.api import predict_texts, train_run
from headstart.data.classification import DataSpec
from headstart.errors import RunDirError
from headstart.runs.load import load_run
from headstart.training.config import TrainConfig

CONFIG = dict(method="full", epochs=4, learning_rate=3e-3, head_learning_rate=3e-3, batch_size=8, patience=0, precision="fp32")


def test_crash_while_writing_leaves_only_a_partial_folder(tmp_path, tiny_base, monkeypatch):
    import headstart.runs.write as write

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(write, "plot_confusion_matrix", boom)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="disk full"):
        train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv")), base=str(tiny_base), config=TrainConfig(**CONFIG), output=out, log=lambda m: None)
    assert not out.exists()
    assert (tmp_path / ".run.partial").is_dir()
    with pytest.raises(RunDirError, match="no such run directory"):
        load_run(out)
    monkeypatch.undo()
    summary = train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv")), base=str(tiny_base), config=TrainConfig(**CONFIG), output=out, log=lambda m: None)
    assert (summary.path / "headstart.yaml").exists() and not (tmp_path / ".run.partial").exists()


def test_ctrl_c_keeps_best_model_so_far(tmp_path, tiny_base, monkeypatch):
    import headstart.tasks.classification as classification

    calls = {"n": 0}
    original = classification.classification_step

    def step(model, batch):
        calls["n"] += 1
        if calls["n"] == 9:  # 6 batches per epoch: interrupt during the second epoch
            raise KeyboardInterrupt
        return original(model, batch)

    monkeypatch.setattr(classification, "classification_step", step)
    summary = train_run(DataSpec(train=str(ASSETS / "tiny_sentiment.csv")), base=str(tiny_base), config=TrainConfig(**CONFIG), output=tmp_path / "run", log=lambda m: None)
    assert summary.interrupted
    record = yaml.safe_load((summary.path / "headstart.yaml").read_text())
    assert record["result"]["interrupted"] is True and record["result"]["best_epoch"] == 1
    assert "interrupted" in (summary.path / "README.md").read_text()
    assert len(predict_texts(summary.path, ["great film"])) == 1


def test_atomic_writes_are_readable_like_ordinary_files(tmp_path):
    import os
    import stat

    from headstart.runs.atomic import atomic_write_text

    atomic_write_text(tmp_path / "card.md", "hello")
    ordinary = tmp_path / "plain.md"
    ordinary.write_text("hello")
    assert stat.S_IMODE(os.stat(tmp_path / "card.md").st_mode) == stat.S_IMODE(os.stat(ordinary).st_mode)
