"""Two CPU processes (gloo) under `accelerate launch`: same optimizer steps as one process, one writer, a usable model.

Each test starts a real two-process launch, so each takes tens of seconds
(mostly two interpreters importing torch on a shared machine).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from conftest import build_tiny_bert
from headstart.cli.main import main
from headstart.training.loop import EpochBatches, ProcessSplitBatches
from test_adapt import make_corpus

TRAIN_ARGS = ["--method", "full", "--epochs", "2", "--batch-size", "8", "--precision", "fp32", "--seed", "3"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_two(args: list[str], timeout: float = 400) -> subprocess.CompletedProcess:
    """`accelerate launch --multi_gpu --num_processes 2 -m headstart.cli.main ARGS` on this GPU-less machine (gloo)."""
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
               "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port()), "-m", "headstart.cli.main", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    assert done.returncode == 0, done.stderr[-4000:]
    return done


def dropout_free_base(folder: Path) -> Path:
    """Without dropout, one process and two processes compute the same gradients (each process averages half of each batch)."""
    from transformers import AutoConfig

    build_tiny_bert(folder, seed=1)
    config = AutoConfig.from_pretrained(folder)
    config.hidden_dropout_prob = config.attention_probs_dropout_prob = 0.0
    config.save_pretrained(folder)
    return folder


def test_batches_are_cut_into_one_piece_per_process():
    batches = EpochBatches(lambda epoch: [[0, 1, 2, 3, 4], [5], [6, 7]])
    pieces = list(ProcessSplitBatches(batches, 2))
    assert pieces == [[0, 2, 4], [1, 3], [5], [5], [6], [7]]  # a one-example batch is repeated: no process gets nothing
    assert len(ProcessSplitBatches(batches, 2)) == 6
    # accelerate gives piece i to process i % 2: every process takes one step per original batch.
    assert pieces[0::2] == [[0, 2, 4], [5], [6]] and pieces[1::2] == [[1, 3], [5], [7]]


def test_train_on_two_processes_matches_one_process(tmp_path, tiny_csv):
    torch.set_num_threads(1)
    base = dropout_free_base(tmp_path / "base")
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["train", str(tiny_csv), "--base", str(base), "--output", str(one), *TRAIN_ARGS]) == 0
    launch_two(["train", str(tiny_csv), "--base", str(base), "--output", str(two), *TRAIN_ARGS])
    single = yaml.safe_load((one / "headstart.yaml").read_text())["result"]
    double = yaml.safe_load((two / "headstart.yaml").read_text())["result"]
    assert (single["processes"], double["processes"]) == (1, 2)
    assert double["optimizer_steps"] == single["optimizer_steps"] == 14  # 52 training rows, batches of 8, 2 epochs
    assert double["examples_seen"] == single["examples_seen"] == 104
    assert double["tokens_seen"] == single["tokens_seen"]
    assert double["best_epoch"] == single["best_epoch"]
    # Same batches, same gradients (averaged over two halves), same schedule: the weights agree closely.
    a, b = load_file(str(one / "model.safetensors")), load_file(str(two / "model.safetensors"))
    assert a.keys() == b.keys()
    initial = load_file(str(base / "model.safetensors"))
    moved = max(float((a[k] - initial[k.removeprefix("bert.")]).abs().max()) for k in a if k.removeprefix("bert.") in initial)
    assert moved > 1e-3  # training did change the encoder, so agreement below is not trivial
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-4
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in one.iterdir())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind by a second writer
    assert main(["predict", str(two), "the acting was delightful"]) == 0


def test_adapt_on_two_processes_takes_every_step_and_checkpoints_once(tmp_path):
    base = build_tiny_bert(tmp_path / "base")  # no MLM head: the encoder is frozen for the warm-up steps (DDP must allow that)
    corpus = make_corpus(tmp_path / "corpus.txt")
    out = tmp_path / "adapted"
    launch_two(["adapt", str(base), str(corpus), "--output", str(out), "--steps", "12", "--batch-size", "8", "--checkpoint-every", "5",
                "--head-warmup-steps", "3", "--max-length", "32", "--precision", "fp32", "--learning-rate", "1e-3", "--head-learning-rate", "1e-2",
                "--perplexity-tokens", "40", "--eval-documents", "20"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["loop"]["optimizer_steps"] == 12 and metrics["loop"]["processes"] == 2
    assert metrics["loop"]["examples_seen"] == 12 * 8
    assert len(metrics["losses"]) == 12
    assert metrics["after"]["mlm_loss"] < metrics["before"]["mlm_loss"]
    assert not (tmp_path / ".adapted.checkpoint").exists()
    assert main(["train", str(Path(__file__).parent / "assets" / "tiny_sentiment.csv"), "--base", str(out), "--epochs", "1", "--precision", "fp32",
                 "--output", str(tmp_path / "run")]) == 0


def test_pretrain_on_two_processes_shares_one_tokenizer(tmp_path):
    from test_pretrain import grammar_corpus

    corpus = grammar_corpus(tmp_path / "corpus.txt", lines=400)
    out = tmp_path / "scratch"
    launch_two(["pretrain", str(corpus), "--output", str(out), "--objective", "mlm+nsp", "--vocab-size", "150", "--steps", "6", "--batch-size", "8",
                "--max-length", "24", "--checkpoint-every", "3", "--precision", "fp32", "--perplexity-tokens", "20", "--eval-documents", "20"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["loop"]["optimizer_steps"] == 6 and metrics["loop"]["processes"] == 2 and metrics["loop"]["examples_seen"] == 48
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt", "scratch"]  # checkpoint and shared tokenizer folders removed
    record = yaml.safe_load((out / "headstart-base.yaml").read_text())
    assert record["architecture"] == "BertForPreTraining" and record["heldout"]["masked_tokens"] > 0


def test_gradual_unfreezing_keeps_two_processes_in_sync(tiny_base, tmp_path):
    """Layer groups are frozen only after accelerate wraps the model in DDP: frozen earlier, DDP would never
    all-reduce their gradients once they join, and the processes' copies of layers 1 and 0 would drift apart."""
    from unfreeze_support import train_rank

    torch.multiprocessing.spawn(train_rank, args=(free_port(), str(tiny_base), str(tmp_path)), nprocs=2)
    first, second = (load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1))
    assert [k for k in first if not torch.equal(first[k], second[k])] == []
    start = load_file(str(tiny_base / "model.safetensors"))
    assert not torch.equal(start["encoder.layer.0.output.dense.weight"], first["bert.encoder.layer.0.output.dense.weight"])
    assert torch.equal(start["embeddings.word_embeddings.weight"], first["bert.embeddings.word_embeddings.weight"])  # joins in epoch 4 of 3
