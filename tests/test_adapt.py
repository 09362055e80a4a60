"""Continued masked-LM pre-training: masking, head warm-up, output folder, and crash-safe resume."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from headstart.catalog.resolve import resolve_base
from headstart.cli.main import main
from headstart.corpus.reader import load_corpus
from headstart.pretrain.adapt import RECORD_FILE, AdaptConfig, adapt, checkpoint_folder
from headstart.pretrain.masking import IGNORE_INDEX, MaskingSpec, VocabInfo, mask_whole_words, word_groups
from headstart.pretrain.mlm_model import load_masked_lm
from headstart.pretrain.objectives import HeadWarmupStep

STEPS = 40


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run far faster on one thread on a shared 2-core machine; every run here (and the subprocess) uses the same count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


TEMPLATES = (
    ("the", "this"), ("movie", "film", "plot", "story"), ("was", "is"), ("very", "really", "quite", "so"),
    ("good", "bad", "great", "awful", "boring", "superb"), (".", "!"),
)


def make_corpus(path: Path, documents: int = 300, seed: int = 0) -> Path:
    """Sentences from a small grammar: learnable structure, every word in the tiny vocabulary."""
    rng = random.Random(seed)
    path.write_text("\n".join(" ".join(rng.choice(slot) for slot in TEMPLATES) for _ in range(documents)) + "\n", encoding="utf-8")
    return path


def adapt_args(base: Path, corpus: Path, output: Path) -> list[str]:
    return ["adapt", str(base), str(corpus), "--output", str(output), "--steps", str(STEPS), "--checkpoint-every", "5", "--batch-size", "4",
            "--max-length", "32", "--precision", "fp32", "--perplexity-tokens", "40", "--eval-documents", "10"]


def test_word_groups_and_whole_word_masking_budget():
    assert word_groups([None, 0, 0, 1, 2, 2, 2, None]) == [[1, 2], [3], [4, 5, 6]]
    vocab = VocabInfo(mask_id=4, pad_id=0, vocab_size=100, special_ids=frozenset({0, 1, 2, 3, 4}))
    ids = [2] + list(range(10, 50)) + [3]
    word_ids = [None] + [i // 2 for i in range(40)] + [None]  # 20 words of 2 pieces
    masked, labels = mask_whole_words(ids, word_ids, vocab, MaskingSpec(), random.Random(0))
    chosen = [p for p, label in enumerate(labels) if label != IGNORE_INDEX]
    assert len(chosen) == 6  # 15% of 40 tokens, whole words of 2
    assert all(word_ids[p] == word_ids[p ^ 1 if p % 2 else p - 1] or True for p in chosen)
    assert {word_ids[p] for p in chosen}.__len__() == 3  # both pieces of 3 words
    assert labels[0] == labels[-1] == IGNORE_INDEX and masked[0] == 2
    assert all(labels[p] == ids[p] for p in chosen)
    counts = {"mask": 0, "random": 0, "kept": 0}
    rng = random.Random(1)
    for _ in range(400):
        masked, labels = mask_whole_words(ids, word_ids, vocab, MaskingSpec(), rng)
        for p, label in enumerate(labels):
            if label != IGNORE_INDEX:
                counts["mask" if masked[p] == 4 else "kept" if masked[p] == label else "random"] += 1
    total = sum(counts.values())
    assert 0.75 < counts["mask"] / total < 0.85 and 0.06 < counts["kept"] / total < 0.14


def test_headless_base_gets_a_tied_head_and_warmup_freezes_the_encoder(tiny_base):
    model, had_head = load_masked_lm(resolve_base(str(tiny_base)))
    assert not had_head
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    step = HeadWarmupStep(warmup_steps=2)
    batch = {"input_ids": torch.tensor([[2, 9, 4, 10, 3]]), "attention_mask": torch.ones(1, 5, dtype=torch.long), "labels": torch.tensor([[-100, -100, 12, -100, -100]])}
    step(model, batch).backward()
    assert model.bert.embeddings.word_embeddings.weight.grad is None
    assert model.cls.predictions.transform.dense.weight.grad is not None
    step(model, batch)
    step(model, batch).backward()  # third call: past the warm-up
    assert model.bert.embeddings.word_embeddings.weight.grad is not None


def test_adapt_writes_a_base_that_train_accepts(tiny_base, tmp_path, tiny_csv):
    corpus = make_corpus(tmp_path / "corpus.txt")
    out = tmp_path / "adapted"
    config = AdaptConfig(steps=30, batch_size=8, max_length=32, precision="fp32", learning_rate=1e-3, head_learning_rate=1e-2, checkpoint_every=10, perplexity_tokens=40)
    result = adapt(resolve_base(str(tiny_base)), load_corpus(corpus), config, out, log=lambda m: None)
    assert {"config.json", "model.safetensors", "tokenizer.json", RECORD_FILE, "metrics.json"} <= {p.name for p in out.iterdir()}
    assert not checkpoint_folder(out).exists()  # removed once the output is complete
    record = yaml.safe_load((out / RECORD_FILE).read_text())
    assert record["base"]["had_mlm_head"] is False and record["adapt"]["head_warmup_steps"] == 3
    assert "after_head_warmup" in record
    # Training on this corpus must lower held-out masked-token loss and pseudo-perplexity.
    assert result.after["mlm_loss"] < result.before["mlm_loss"]
    assert result.after["pseudo_perplexity"] < result.before["pseudo_perplexity"]
    from headstart.api import train_run
    from headstart.data.classification import DataSpec
    from headstart.training.config import TrainConfig

    summary = train_run(DataSpec(train=str(tiny_csv)), str(out), TrainConfig(epochs=1, precision="fp32"), str(tmp_path / "run"), log=lambda m: None)
    assert (Path(summary.path) / "model.safetensors").is_file()


def test_adapt_refuses_to_overwrite_and_a_stale_checkpoint(tiny_base, tmp_path, capsys):
    corpus = make_corpus(tmp_path / "corpus.txt")
    (tmp_path / "out").mkdir()
    assert main(adapt_args(tiny_base, corpus, tmp_path / "out")) == 2
    assert "already exists" in capsys.readouterr().err
    checkpoint_folder(tmp_path / "new").mkdir()
    assert main(adapt_args(tiny_base, corpus, tmp_path / "new")) == 2
    assert "pass --resume to continue it" in capsys.readouterr().err
    assert main(["adapt", str(tiny_base), str(corpus), "--resume"]) == 2
    assert "--resume needs the --output" in capsys.readouterr().err


def wait_for_checkpoint(folder: Path, process: subprocess.Popen, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = folder / "state.json"
        if state.is_file():
            try:
                return json.loads(state.read_text())["optimizer_steps"]
            except (json.JSONDecodeError, OSError):
                pass  # caught mid-rename; look again
        if process.poll() is not None:
            pytest.fail(f"adapt exited before writing a checkpoint: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.02)
    pytest.fail("no checkpoint appeared")


def test_sigkill_then_resume_matches_an_uninterrupted_run(tiny_base, tmp_path):
    corpus = make_corpus(tmp_path / "corpus.txt")
    straight = tmp_path / "straight"
    assert main(adapt_args(tiny_base, corpus, straight)) == 0

    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "headstart.cli.main", *adapt_args(tiny_base, corpus, killed)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        reached = wait_for_checkpoint(checkpoint_folder(killed), process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert 0 < reached < STEPS and not killed.exists()

    assert main([*adapt_args(tiny_base, corpus, killed), "--resume"]) == 0
    record = yaml.safe_load((killed / RECORD_FILE).read_text())
    assert record["resumed_from_step"] >= reached
    a = json.loads((straight / "metrics.json").read_text())
    b = json.loads((killed / "metrics.json").read_text())
    assert len(a["losses"]) == len(b["losses"]) == STEPS
    assert b["losses"] == pytest.approx(a["losses"], rel=1e-4, abs=1e-5)
    assert b["after"]["mlm_loss"] == pytest.approx(a["after"]["mlm_loss"], rel=1e-4)
    assert b["after"]["pseudo_perplexity"] == pytest.approx(a["after"]["pseudo_perplexity"], rel=1e-4)


def test_checkpoint_is_safetensors_and_json_and_refuses_other_settings(tmp_path):
    from headstart.errors import ConfigError
    from headstart.pretrain.checkpoint import Checkpoint, read_checkpoint, restore_checkpoint, save_checkpoint

    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0 - s / 10)
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    scheduler.step()
    folder = tmp_path / "ckpt"
    save_checkpoint(folder, model, optimizer, scheduler, Checkpoint(1, 1, 1, {"seed": 1}, [0.5]))
    assert sorted(p.name for p in folder.iterdir()) == ["model.safetensors", "optimizer.safetensors", "state.json"]
    with pytest.raises(ConfigError, match="seed: 1 then, 2 now"):
        read_checkpoint(folder, {"seed": 2})
    saved, raw = read_checkpoint(folder, {"seed": 1})
    fresh = torch.nn.Linear(3, 2)
    fresh_optimizer = torch.optim.AdamW(fresh.parameters(), lr=0.1)
    fresh_scheduler = torch.optim.lr_scheduler.LambdaLR(fresh_optimizer, lambda s: 1.0 - s / 10)
    restore_checkpoint(folder, raw, fresh, fresh_optimizer, fresh_scheduler)
    assert torch.equal(fresh.weight, model.weight) and saved.losses == [0.5]
    assert torch.equal(fresh_optimizer.state_dict()["state"][0]["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])
    assert fresh_scheduler.last_epoch == 1


def test_masked_lm_step_projects_only_masked_positions_with_the_same_loss(tiny_base):
    from headstart.pretrain.objectives import masked_lm_step

    model, _ = load_masked_lm(resolve_base(str(tiny_base)))
    model.eval()
    batch = {"input_ids": torch.tensor([[2, 9, 4, 10, 3], [2, 11, 12, 4, 3]]), "attention_mask": torch.ones(2, 5, dtype=torch.long),
             "labels": torch.tensor([[-100, -100, 12, -100, -100], [-100, 7, -100, 13, -100]])}
    widths: list[int] = []
    probe = model.get_output_embeddings().register_forward_hook(lambda module, args, out: widths.append(out.shape[0]))
    fast = masked_lm_step(model, batch)
    full = model(**batch).loss
    probe.remove()
    assert widths[0] == 3  # three masked positions projected onto the vocabulary, not 2 x 5
    assert float(fast) == pytest.approx(float(full), rel=1e-6)
    assert model(input_ids=batch["input_ids"]).logits.shape == (2, 5, model.config.vocab_size)  # the narrowing hook is gone
