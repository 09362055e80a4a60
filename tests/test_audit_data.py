"""audit-data: duplicates, conflicts, leakage, imbalance, truncation, suspects.csv and audit.json."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from conftest import write
from headstart.audit.data_audit import AuditDataOptions, audit_data, write_audit
from headstart.audit.duplicates import exact_cross, exact_groups, near_pairs, normalise
from headstart.cli.main import main
from headstart.errors import ConfigError, DataError

TRAIN = """text,label
the film was wonderful and moving,pos
"The film was wonderful, and moving!",pos
a dull and tedious story,neg
I hate it,neg
i hate it,pos
a bright delightful comedy with heart,pos
a bright delightful comedy with hearts,pos
terrible acting and a lazy plot,neg
,neg
superb direction from start to finish,pos
boring boring boring,neg
"""

EVAL = """text,label
a dull and tedious story,neg
superb direction from start to finish!!,pos
an entirely new sentence about cooking,pos
"""


def test_normalise_ignores_case_punctuation_and_spacing():
    assert normalise("  The FILM, was\twonderful! ") == "the film was wonderful"


def test_exact_groups_and_cross_matches():
    texts = ["A b", "c", "a  B.", "c", "d"]
    assert exact_groups(texts) == [[0, 2], [1, 3]]
    assert exact_cross(["x", "C!", "a b"], texts) == [(1, 1), (2, 0)]


def test_near_pairs_finds_small_edits_but_not_unrelated_texts():
    texts = ["a bright delightful comedy with heart", "a bright delightful comedy with hearts", "terrible acting and a lazy plot", "A bright delightful comedy with heart!"]
    pairs = near_pairs(texts, threshold=0.8)
    # 0/3 are exact duplicates after normalising, so only the edit pairs remain.
    assert {(p.query, p.reference) for p in pairs} == {(0, 1), (1, 3)}
    assert all(0.8 <= p.similarity < 1.0 for p in pairs)
    assert near_pairs(texts, ["completely unrelated words here"], threshold=0.5) == []


def test_near_pairs_in_blocks_equals_one_block(monkeypatch):
    import headstart.audit.duplicates as dup

    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]
    texts = [" ".join(rng.choice(words, 5)) for _ in range(60)]
    whole = near_pairs(texts, threshold=0.7)
    monkeypatch.setattr(dup, "MAX_BLOCK_CELLS", 60 * 7)  # 7 query rows per block
    assert near_pairs(texts, threshold=0.7) == whole and whole


@pytest.fixture()
def audited(tmp_path, tiny_base):
    train = write(tmp_path / "train.csv", TRAIN)
    valid = write(tmp_path / "valid.csv", EVAL)
    options = AuditDataOptions(data=str(train), validation=str(valid), base=str(tiny_base), model="tfidf", folds=2, near_threshold=0.85, max_length=8)
    return audit_data(options, log=lambda m: None), train, valid


def test_findings(audited):
    result, train, valid = audited
    f = result.findings
    assert f["rows"] == {"train": 10, "validation": 3}
    assert f["rows_without_text_or_label"]["train"] == {"count": 1, "locations": [f"{train}:10"]}
    assert f["conflicting_label_groups"] == 1 and f["conflicting_labels"][0]["locations"] == [f"{train}:5", f"{train}:6"]
    assert f["exact_duplicate_rows"] == 1 and f["exact_duplicates"][0]["locations"] == [f"{train}:2", f"{train}:3"]
    assert f["near_duplicate_pairs"] == 1 and f["near_duplicates"][0]["a"] == f"{train}:7"
    leak = f["leakage"]["validation"]
    assert leak["exact"] == 2  # the second eval row differs only by '!!', equal after normalising
    assert [p["train"] for p in leak["exact_pairs"]] == [f"{train}:4", f"{train}:11"]
    assert f["imbalance"]["largest"] == {"label": "pos", "count": 6} and f["imbalance"]["ratio"] == 1.5
    assert f["truncation"]["max_length"] == 8
    assert f["truncation"]["by_split"]["train"]["n_truncated"] >= 1
    assert f["label_errors"]["folds"] == 2 and f["label_errors"]["model"] == "tfidf"


def test_suspects_csv_ranks_conflicts_first(audited, tmp_path):
    result, train, _ = audited
    csv_path, json_path = write_audit(result, tmp_path / "out")
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert list(rows[0]) == ["rank", "location", "text", "given_label", "suggested_label", "score", "kinds", "reason"]
    assert {rows[0]["location"], rows[1]["location"]} == {f"{train}:5", f"{train}:6"}
    assert "conflicting_label" in rows[0]["kinds"] and "same text labeled neg/pos" in rows[0]["reason"]
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    saved = json.loads(json_path.read_text())
    assert saved["n_suspect_rows"] == len(rows) and any("conflicting labels: 1" in s for s in saved["summary"])


def test_options_are_validated():
    with pytest.raises(ConfigError, match="--folds must be at least 2.*--near-threshold must be in"):
        AuditDataOptions(data="x.csv", folds=1, near_threshold=1.5).validate()


def test_no_usable_rows_is_a_clear_error(tmp_path, tiny_base):
    path = write(tmp_path / "t.csv", "text,label\n,a\n  ,b\n")
    with pytest.raises(DataError, match="no row has both a text"):
        audit_data(AuditDataOptions(data=str(path), base=str(tiny_base), model="tfidf"), log=lambda m: None)


def test_cli_writes_files_and_prints_summary(tmp_path, tiny_base, capsys):
    train = write(tmp_path / "train.csv", TRAIN)
    out = tmp_path / "aud"
    code = main(["audit-data", str(train), "--base", str(tiny_base), "--model", "tfidf", "--folds", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert {p.name for p in out.iterdir()} == {"suspects.csv", "audit.json"}
    assert "conflicting labels: 1 text(s)" in printed and "top suspects:" in printed


def test_cli_bad_file_exits_2(tmp_path, capsys):
    assert main(["audit-data", str(tmp_path / "missing.csv"), "--model", "tfidf"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_help_comes_from_option_docstrings(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["audit-data", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert stop.value.code == 0
    assert "--near-threshold X" in text and "Cosine similarity (character 3-5-gram TF-IDF)" in text
    assert "--model {embeddings,tfidf}" in text and "--no-label-errors" in text


def test_label_error_search_is_skipped_with_a_reason_when_a_class_has_one_example(tmp_path, tiny_base):
    path = write(tmp_path / "t.csv", "text,label\ngood film,pos\ngreat film,pos\nfine film,pos\nbad film,neg\n")
    result = audit_data(AuditDataOptions(data=str(path), base=str(tiny_base), model="tfidf"), log=lambda m: None)
    assert "at least 2 examples of every class" in result.findings["label_errors"]["skipped"]
    assert any(line.startswith("likely label errors: not searched: ") for line in result.summary)
    assert result.findings["imbalance"]["ratio"] == 3.0


def test_data_without_labels_is_a_clear_error(tmp_path, tiny_base, capsys):
    path = write(tmp_path / "unlabeled.csv", "text,score\nhello there,1\n")
    assert main(["audit-data", str(path), "--base", str(tiny_base), "--model", "tfidf"]) == 2
    err = capsys.readouterr().err
    assert "could not find the label column" in err and "--label-column" in err


def test_quick_audit_shares_one_tfidf_fit_and_skips_label_errors(tiny_base):
    from headstart.audit.data_audit import quick_audit
    from headstart.data.classification import LabeledTexts
    from transformers import BertTokenizer

    from conftest import tiny_vocab

    train = LabeledTexts(["the movie was great", "the movie was great", "a boring plot", "a boring plot!"], ["pos", "neg", "neg", "neg"], [f"t:{i}" for i in range(4)])
    test = LabeledTexts(["the movie was great", "quite ugly"], ["pos", "neg"], ["s:1", "s:2"], "test")
    result = quick_audit(train, [test], BertTokenizer(vocab=tiny_vocab()), "tiny", 3)
    f = result.findings
    assert f["conflicting_label_groups"] == 1 and f["leakage"]["test"]["exact"] == 1
    assert "skipped" in f["label_errors"] and f["truncation"]["by_split"]["train"]["n_truncated"] == 4
    assert any(line.startswith("likely label errors: not searched") for line in result.summary)
    skipped = quick_audit(train, [test], BertTokenizer(vocab=tiny_vocab()), "tiny", 3, near_limit=3)
    assert skipped.findings["near_duplicate_pairs"] == 0 and "over 3" in skipped.findings["near_duplicates_skipped"]
