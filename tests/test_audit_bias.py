"""audit-bias: term lists, swaps, flip rates and bootstrap intervals, EEC, and the command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import ASSETS, shared, write
from headstart.audit.bias import AuditBiasOptions, audit_bias, summarise_items, template_items, text_items
from headstart.audit.bias_terms import BUILTIN_DIMENSIONS, load_term_lists, parse_term_list, read_templates, read_term_list
from headstart.audit.stats import mean_ci, paired_gap_ci
from headstart.cli.main import main
from headstart.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from fake_run import make_run

    return make_run(tmp_path_factory.mktemp("bias-runs") / "tiny")


def test_every_shipped_term_list_and_the_templates_load():
    lists = load_term_lists()
    assert [t.dimension for t in lists] == list(BUILTIN_DIMENSIONS)
    for term_list in lists:
        assert len(term_list.groups) >= 2 and set(term_list.persons) == set(term_list.groups)
    assert len(read_templates()) >= 10


def test_swap_keeps_case_and_whole_words():
    gender = load_term_lists(dimensions=["gender"])[0]
    assert gender.mentioned_groups("She thanked her brother") == ["female", "male"]
    assert gender.swap("She told her mother; HERS.", "female", "male") == "He told his father; HIS."
    assert gender.swap("the shepherd", "female", "male") == "the shepherd"  # 'she' inside a word is not a term
    nationality = load_term_lists(dimensions=["nationality"])[0]
    assert nationality.swap("Shot in Mexico City by Mexicans", "mexican", "german") == "Shot in Berlin by Germans"


def test_unknown_group_in_user_term_file_is_a_clear_error(tmp_path):
    path = write(tmp_path / "terms.yaml", "dimension: gender\ngroups: [female, male]\nterms:\n  - {female: she, mal: he}\npersons: {female: a woman, male: a man}\n")
    with pytest.raises(ConfigError, match=r"terms row 1 names unknown group\(s\) 'mal'; the groups are female, male"):
        read_term_list(path)
    with pytest.raises(ConfigError, match="'groups' must list at least 2"):
        parse_term_list({"dimension": "x", "groups": ["a"], "terms": [{"a": "b"}]}, "inline")


def test_user_term_file_replaces_builtin_dimension(tmp_path):
    path = write(tmp_path / "age.yaml", "dimension: age\ngroups: [child, adult]\nterms:\n  - {child: kid, adult: grown-up}\npersons: {child: the child, adult: the adult}\n")
    lists = load_term_lists([str(path)], ["age"])
    assert lists[0].groups == ["child", "adult"]
    with pytest.raises(ConfigError, match="unknown dimension"):
        load_term_lists(dimensions=["height"])


def test_items_from_texts_and_templates():
    gender = load_term_lists(dimensions=["gender"])[0]
    items, labels = text_items(gender, ["he was great", "no people here", "my sister"], ["1", "0", "1"])
    assert items == [{"male": "he was great", "female": "she was great"}, {"female": "my sister", "male": "my brother"}]
    assert labels == ["1", "1"]
    filled = template_items(gender, ["{person} is here."])
    assert filled == [{"female": "The woman is here.", "male": "The man is here."}]


def test_flip_rate_and_group_scores():
    items = [{"a": "x1", "b": "y1"}, {"a": "x2", "b": "y2"}]
    probs = {"x1": np.array([0.2, 0.8]), "y1": np.array([0.6, 0.4]), "x2": np.array([0.1, 0.9]), "y2": np.array([0.3, 0.7])}
    stats = summarise_items(items, ["a", "b"], probs, 1, [1, 1], seed=0)
    assert stats["flip_rate"]["mean"] == 0.5
    assert stats["mean_score"]["a"]["mean"] == pytest.approx(0.85) and stats["mean_score"]["b"]["mean"] == pytest.approx(0.55)
    assert stats["accuracy"]["a"]["mean"] == 1.0 and stats["accuracy"]["b"]["mean"] == 0.5
    assert stats["score_gap"]["gap"] == pytest.approx(0.3)


def test_bootstrap_intervals_bracket_the_mean_and_shrink_with_n():
    rng = np.random.default_rng(1)
    small, large = mean_ci(rng.random(20)), mean_ci(rng.random(2000))
    assert small["low"] <= small["mean"] <= small["high"]
    assert (large["high"] - large["low"]) < (small["high"] - small["low"]) / 4
    assert mean_ci([1.0, 1.0, 1.0]) == {"mean": 1.0, "low": 1.0, "high": 1.0, "n": 3}
    gap = paired_gap_ci(np.array([[0.9, 0.1]] * 10))
    assert gap == {"gap": 0.8, "low": 0.8, "high": 0.8}


def test_audit_bias_on_a_run_with_its_validation_split(tiny_run):
    from headstart.runs.load import load_run

    report = audit_bias(load_run(tiny_run), AuditBiasOptions(run_dir=str(tiny_run), dimensions="gender,age"), log=lambda m: None)
    assert list(report["dimensions"]) == ["gender", "age"]
    assert report["score"] == "P(positive)" and "validation split" in report["eval_data"]
    templates = report["dimensions"]["gender"]["templates"]
    assert templates["items"] == len(read_templates())
    assert set(templates["mean_score"]) == {"female", "male"}


def test_eval_labels_unknown_to_the_run_are_a_clear_error(tiny_run, tmp_path):
    from headstart.runs.load import load_run

    data = write(tmp_path / "eval.csv", "text,label\nshe was good,happy\n")
    with pytest.raises(DataError, match="label\\(s\\) happy are not among the run's labels"):
        audit_bias(load_run(tiny_run), AuditBiasOptions(run_dir=str(tiny_run), data=str(data)), log=lambda m: None)


def test_run_without_recorded_data_needs_data_file(tiny_run, tmp_path):
    import shutil

    import yaml

    from headstart.errors import RunDirError
    from headstart.runs.load import load_run

    copy = tmp_path / "copy"
    shutil.copytree(tiny_run, copy)
    record = yaml.safe_load((copy / "headstart.yaml").read_text())
    record["data"] = {}
    (copy / "headstart.yaml").write_text(yaml.safe_dump(record))
    with pytest.raises(RunDirError, match="names no training data.*Give a labeled DATA file"):
        audit_bias(load_run(copy), AuditBiasOptions(run_dir=str(copy)), log=lambda m: None)


def test_cli_writes_bias_json(tiny_run, tmp_path, capsys):
    data = write(tmp_path / "eval.csv", "text\nshe was good\nhe was bad\nthe movie\n")
    out = tmp_path / "bias"
    code = main(["audit-bias", str(tiny_run), str(data), "--dimensions", "gender", "--no-templates", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    saved = json.loads((out / "bias.json").read_text())
    assert saved["dimensions"]["gender"]["texts"]["items"] == 2 and "templates" not in saved["dimensions"]["gender"]
    assert "gender (texts, 2 items): flip rate" in printed


def test_cli_bad_terms_file_exits_2(tiny_run, tmp_path, capsys):
    path = write(tmp_path / "t.yaml", "dimension: gender\ngroups: [f, m]\npersons: {f: a woman, x: a man}\n")
    assert main(["audit-bias", str(tiny_run), "--terms", str(path)]) == 2
    assert "'persons' names unknown group(s) 'x'" in capsys.readouterr().err


def test_eec_structure_on_a_slice(tiny_run, tmp_path):
    from headstart.audit.eec import audit_eec
    from headstart.runs.load import load_run

    source = shared("eec") / "Equity-Evaluation-Corpus.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    # Header + every 20th row keeps both genders and races in shared template cells.
    sliced = write(tmp_path / "eec.csv", "\n".join([lines[0], *lines[1::20]]) + "\n")
    result = audit_eec(load_run(tiny_run), sliced, 1, log=lambda m: None)
    assert set(result["gender"]["mean_score"]) == {"female", "male"}
    assert set(result["race"]["mean_score"]) == {"African-American", "European"}
    assert 0.0 <= result["gender"]["flip_rate"]["mean"] <= 1.0 and result["gender"]["flip_rate"]["cells"] > 0
    assert result["summary"][1].startswith("  gender: female ")


def test_eec_wrong_file_is_a_clear_error(tmp_path):
    from headstart.audit.eec import read_eec

    with pytest.raises(DataError, match="not the Equity Evaluation Corpus CSV; missing column"):
        read_eec(write(tmp_path / "x.csv", "text,label\na,b\n"))


def test_per_group_accuracy_uses_each_items_own_label(tiny_run, tmp_path):
    from headstart.audit.run_predictions import probabilities
    from headstart.runs.load import load_run

    run = load_run(tiny_run)
    texts = ["she was good", "the movie was bad", "he was bad", "my sister was lovely"]
    labels = ["positive", "negative", "negative", "positive"]
    data = write(tmp_path / "eval.csv", "text,label\n" + "".join(f"{t},{l}\n" for t, l in zip(texts, labels)))
    report = audit_bias(run, AuditBiasOptions(run_dir=str(tiny_run), data=str(data), dimensions="gender", templates=False), log=lambda m: None)
    variants = {"female": ["she was good", "she was bad", "my sister was lovely"], "male": ["he was good", "he was bad", "my brother was lovely"]}
    wanted = [1, 0, 1]
    for group, group_texts in variants.items():
        predicted = probabilities(run, group_texts).argmax(1)
        expected = float(np.mean(predicted == np.array(wanted)))
        assert report["dimensions"]["gender"]["texts"]["accuracy"][group]["mean"] == pytest.approx(expected, abs=1e-4)


def test_help_lists_options(capsys):
    with pytest.raises(SystemExit):
        main(["audit-bias", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--eec TEXT" in text and "Equity Evaluation Corpus CSV" in text and "--no-templates" in text


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"labels": []}, "RunDirError", "the run records no labels"),
        ({"task": "text2text"}, "RunDirError", "audit-bias tests text classifiers; this is a text2text run"),
        ({"multi_label": True}, "ConfigError", "audit-bias scores single-label runs"),
    ],
)
def test_runs_the_audit_cannot_score_are_clear_errors(tiny_run, tmp_path, change, error, message):
    import shutil

    import yaml

    from headstart import errors
    from headstart.runs.load import load_run

    copy = tmp_path / "copy"
    shutil.copytree(tiny_run, copy)
    record = yaml.safe_load((copy / "headstart.yaml").read_text())
    record.update(change)
    (copy / "headstart.yaml").write_text(yaml.safe_dump(record))
    with pytest.raises(getattr(errors, error), match=message):
        audit_bias(load_run(copy), AuditBiasOptions(run_dir=str(copy)), log=lambda m: None)


def test_eval_file_without_texts_is_a_clear_error(tiny_run, tmp_path, capsys):
    data = write(tmp_path / "empty.csv", "text,label\n ,positive\n")
    assert main(["audit-bias", str(tiny_run), str(data), "--out", str(tmp_path)]) == 2
    assert "no texts in column 'text'; the bias audit needs evaluation texts" in capsys.readouterr().err

