"""headstart compress --distill-to: a student trained through the one loop to imitate a teacher run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml
from deploy_support import TEXTS, tiny_run

from conftest import ASSETS, build_tiny_bert
from headstart.api import evaluate_run, predict_texts
from headstart.cli.main import main
from headstart.deploy.distill import DistillOptions, distill_run, distillation_step
from headstart.deploy.student import evenly_spaced_layers, shrink_encoder
from headstart.errors import ConfigError, DataError

DATA = ASSETS / "tiny_sentiment.csv"
FILES = {"README.md", "compression.json", "config.json", "headstart.yaml", "metrics.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def unlabeled(tmp_path_factory):
    path = tmp_path_factory.mktemp("unlabeled") / "extra.txt"
    lines = [line.split(",")[0] for line in DATA.read_text().splitlines()[1:]]
    # Recombined words: new texts the teacher labels; plus an exact copy of every original line.
    extra = [" ".join(reversed(t.split())) for t in lines] + lines + [""]
    path.write_text("\n".join(extra) + "\n")
    return path


@pytest.fixture(scope="module")
def student(run_dir, unlabeled, tmp_path_factory):
    base = build_tiny_bert(tmp_path_factory.mktemp("student-base") / "b", layers=1, hidden=16, seed=1)
    options = DistillOptions(distill_to=str(base), unlabeled=str(unlabeled), epochs=8, learning_rate=3e-3, head_learning_rate=3e-3, train_batch_size=8, patience=0, seed=3, precision="fp32")
    return distill_run(run_dir, options, output=run_dir.parent / "student", log=lambda m: None)


def test_distillation_step_is_kl_at_temperature_plus_gold_cross_entropy():
    teacher = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    gold = torch.tensor([0, -1])

    class Fixed(torch.nn.Module):
        def __init__(self, logits):
            super().__init__()
            self.logits = logits

        def forward(self, input_ids, attention_mask):
            return type("Out", (), {"logits": self.logits})()

    batch = {"input_ids": torch.zeros(2, 3, dtype=torch.long), "attention_mask": torch.ones(2, 3, dtype=torch.long), "labels": torch.tensor([0, 1])}
    # A student that equals the teacher has zero soft loss; only example 0's gold CE remains.
    loss = distillation_step(teacher, gold, 2.0, 0.25)(Fixed(teacher.clone()), batch)
    ce = torch.nn.functional.cross_entropy(teacher[:1], gold[:1])
    assert float(loss) == pytest.approx(float(0.75 * ce / 2), abs=1e-6)
    student = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    p = torch.softmax(teacher / 3.0, -1)
    kl = (p * (p.log() - torch.log_softmax(student / 3.0, -1))).sum(-1) * 9
    expected = (1.0 * kl[0] + kl[1]) / 2  # soft_weight 1: gold labels ignored
    assert float(distillation_step(teacher, gold, 3.0, 1.0)(Fixed(student), batch)) == pytest.approx(float(expected), abs=1e-6)


def test_layer_choice_keeps_first_and_last_like_distilbert():
    assert evenly_spaced_layers(6, 3) == [0, 2, 5]
    assert evenly_spaced_layers(6, 2) == [0, 5]
    assert evenly_spaced_layers(12, 6) == [0, 2, 4, 7, 9, 11]
    assert evenly_spaced_layers(4, 9) == [0, 1, 2, 3]


def test_shrunk_teacher_keeps_the_mean_pooling_layer_on_top(tmp_path):
    from headstart.catalog.resolve import resolve_base
    from headstart.models.classifier import build_classifier

    base = build_tiny_bert(tmp_path / "b", layers=4)
    model = build_classifier(resolve_base(str(base)), ["a", "b"], pooling="mean")
    assert len(model.bert.encoder.layer) == 5
    small, kept = shrink_encoder(model, 2)
    assert kept == [0, 3] and small.config.num_hidden_layers == 3
    assert small.bert.encoder.layer[0] is not model.bert.encoder.layer[0]
    torch.testing.assert_close(small.bert.encoder.layer[1].output.dense.weight, model.bert.encoder.layer[3].output.dense.weight)
    assert not small.bert.encoder.layer[2].attention.self.query.weight.any()  # the pooling layer
    assert len(model.bert.encoder.layer) == 5  # the teacher is untouched
    with pytest.raises(ConfigError, match="does not shrink the teacher: it has 4 encoder layers"):
        shrink_encoder(model, 4)


def test_student_is_a_run_directory_that_predict_and_eval_accept(student, run_dir):
    assert student.output == run_dir.parent / "student"
    assert {p.name for p in student.output.iterdir()} - {"special_tokens_map.json", "vocab.txt"} == FILES
    record = yaml.safe_load((student.output / "headstart.yaml").read_text())
    info = record["distillation"]
    assert info["teacher_run_name"] == "tiny" and info["labeled_texts"] == 44
    # The 60 reversed lines are new; the 60 copies are train texts (dropped as duplicates) or validation texts (dropped: leakage).
    assert info["unlabeled_texts"] == 60 and info["unlabeled_dropped_as_eval"] == 16
    assert record["parameters"]["total"] < yaml.safe_load((run_dir / "headstart.yaml").read_text())["parameters"]["total"]
    assert "deploy" not in record  # an ordinary fp32 run: compress accepts it too
    results = predict_texts(student.output, TEXTS)
    assert [r["label"] for r in results][:2] == ["positive", "negative"]
    teacher = evaluate_run(run_dir, DATA)
    assert evaluate_run(student.output, DATA)["accuracy"] >= teacher["accuracy"] - 0.1


def test_table_compares_student_with_teacher(student):
    teacher, pupil = student.rows
    assert teacher.format == "fp32" and pupil.format == "fp32, distilled"
    assert pupil.size_mb < teacher.size_mb
    assert pupil.agreement is not None and pupil.agreement >= 0.8
    assert "the teacher's validation split (16 texts" in student.measured_on
    saved = json.loads((student.output / "compression.json").read_text())
    assert [r["name"] for r in saved["rows"]] == ["tiny", "student"]
    metrics = json.loads((student.output / "metrics.json").read_text())
    assert metrics["distillation"]["accuracy"] == pupil.accuracy and len(metrics["history"]) == 8
    assert "## Compared with the teacher" in (student.output / "README.md").read_text()


def test_cli_distills_into_fewer_teacher_layers_then_compresses(run_dir, tmp_path, capsys):
    out = run_dir.parent / "tiny-distilled-teacher1"
    code = main(["compress", str(run_dir), "--distill-to", "teacher", "--student-layers", "1", "--epochs", "2", "--int8", "--eval-data", str(DATA), "--precision", "fp32"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"distilled: {out}" in printed and f"int8: {out}-int8" in printed
    record = yaml.safe_load((out / "headstart.yaml").read_text())
    assert "teacher layers [0]" in record["base"]["name"]
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 1
    assert "60 labeled texts" in json.loads((out / "compression.json").read_text())["measured_on"]
    assert main(["eval", str(out) + "-int8", str(DATA)]) == 0


def test_refuses_bad_options_with_actionable_messages(run_dir, tmp_path, capsys):
    with pytest.raises(ConfigError, match="--student-layers only applies with --distill-to teacher.*--temperature must be above 0"):
        distill_run(run_dir, DistillOptions(distill_to="bert-tiny-mlm", student_layers=2, temperature=0))
    with pytest.raises(DataError, match="--unlabeled .*no such file"):
        distill_run(run_dir, DistillOptions(distill_to="teacher", unlabeled=str(tmp_path / "nope.txt")), output=tmp_path / "x", log=lambda m: None)
    with pytest.raises(DataError, match="Pass it with --data PATH"):
        distill_run(run_dir, DistillOptions(distill_to="teacher", data=str(tmp_path / "gone.csv")), output=tmp_path / "y", log=lambda m: None)
    assert main(["compress", str(run_dir), "--distill-to", "teacher", "--int8", "--output", str(tmp_path / "z")]) == 2
    assert "--output names the distilled student's folder" in capsys.readouterr().err
