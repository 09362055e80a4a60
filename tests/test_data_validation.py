"""Every bad input of the data layer gets a message naming file, line, what was expected and what to do."""

from __future__ import annotations

import json

import pytest

from conftest import write
from headstart.data.classification import DataSpec, load_classification_data
from headstart.data.issues import DataValidationError
from headstart.errors import DataError


def good_rows(n_per_class: int = 5) -> str:
    lines = ["text,label"]
    for i in range(n_per_class):
        lines += [f"great film number {i},pos", f"awful film number {i},neg"]
    return "\n".join(lines) + "\n"


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        load_classification_data(DataSpec(train=str(tmp_path / "nope.csv")))


def test_empty_file(tmp_path):
    path = write(tmp_path / "empty.csv", "")
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty; expected a header"):
        load_classification_data(DataSpec(train=str(path)))


def test_header_only(tmp_path):
    path = write(tmp_path / "h.csv", "text,label\n")
    with pytest.raises(DataError, match=r"has a header \(text, label\) but no examples"):
        load_classification_data(DataSpec(train=str(path)))


def test_missing_columns_lists_found(tmp_path):
    path = write(tmp_path / "cols.csv", "body_text,verdict\nhello,a\n")
    with pytest.raises(DataError) as info:
        load_classification_data(DataSpec(train=str(path)))
    message = str(info.value)
    assert "could not find the text column" in message
    assert "columns found: body_text, verdict" in message
    assert "--text-column" in message


def test_named_column_absent(tmp_path):
    path = write(tmp_path / "c.csv", good_rows())
    with pytest.raises(DataError, match=r"no column 'review' \(given with --text-column\)\. Columns found: text, label"):
        load_classification_data(DataSpec(train=str(path), text_column="review"))


def test_empty_texts_and_missing_labels_reported_together_with_lines(tmp_path):
    path = write(tmp_path / "bad.csv", good_rows() + "   ,pos\ngood one,\n")
    with pytest.raises(DataValidationError) as info:
        load_classification_data(DataSpec(train=str(path)))
    message = str(info.value)
    assert "1 row(s) with an empty or whitespace-only text in column 'text'" in message
    assert "bad.csv:12" in message
    assert "1 row(s) without a label in column 'label'" in message
    assert "bad.csv:13" in message
    assert "--skip-bad-rows" in message
    assert len(info.value.issues) == 2


def test_skip_bad_rows_turns_errors_into_warnings(tmp_path):
    path = write(tmp_path / "bad.csv", good_rows() + "   ,pos\n")
    data = load_classification_data(DataSpec(train=str(path), skip_bad_rows=True))
    assert len(data.train) + len(data.validation) == 10
    assert any("dropped" in w.message for w in data.issues.warnings)


def test_single_class(tmp_path):
    path = write(tmp_path / "one.csv", "text,label\na,x\nb,x\nc,x\n")
    with pytest.raises(DataValidationError, match=r"every example has the label 'x'; a classifier needs at least 2 classes"):
        load_classification_data(DataSpec(train=str(path)))


def test_class_with_one_example_is_a_warning(tmp_path):
    path = write(tmp_path / "rare.csv", good_rows() + "lonely text,rare\n")
    data = load_classification_data(DataSpec(train=str(path)))
    assert any("1 class(es) with a single example ('rare')" in w.message for w in data.issues.warnings)
    assert "rare" in data.train.labels  # kept in train, never held out


def test_unseen_labels_in_eval(tmp_path):
    train = write(tmp_path / "train.csv", good_rows())
    val = write(tmp_path / "val.csv", "text,label\nsomething new,surprise\nfine film,pos\n")
    with pytest.raises(DataValidationError) as info:
        load_classification_data(DataSpec(train=str(train), validation=str(val)))
    assert "label(s) never seen in training ('surprise')" in str(info.value)
    assert "val.csv:2" in str(info.value)


def test_undecodable_bytes_name_encoding_and_line(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(good_rows().encode() + "caf\xe9 au lait,pos\n".encode("latin-1"))
    with pytest.raises(DataError) as info:
        load_classification_data(DataSpec(train=str(path)))
    message = str(info.value)
    assert "latin.csv:12" in message and "not valid utf-8" in message and "--encoding latin-1" in message
    data = load_classification_data(DataSpec(train=str(path), encoding="latin-1"))
    assert "café au lait" in data.train.texts + data.validation.texts


def test_conflicting_duplicates_warn(tmp_path):
    path = write(tmp_path / "dup.csv", good_rows() + "Same Text,pos\nsame text,neg\n")
    data = load_classification_data(DataSpec(train=str(path)))
    warning = next(w for w in data.issues.warnings if "different labels" in w.message)
    assert "dup.csv:12" in warning.render() and "dup.csv:13" in warning.render()


def test_leakage_between_train_and_eval_warns(tmp_path):
    train = write(tmp_path / "train.csv", good_rows())
    test = write(tmp_path / "test.csv", "text,label\ngreat film number 1,pos\nunseen,neg\n")
    data = load_classification_data(DataSpec(train=str(train), test=str(test)))
    leak = next(w for w in data.issues.warnings if "leakage" in w.message)
    assert "1 of 2 test text(s) also appear in the training data" in leak.message


def test_all_errors_at_once(tmp_path):
    train = write(tmp_path / "train.csv", "text,label\n,a\nx,a\n")
    val = write(tmp_path / "val.csv", "text,label\ny,b\n")
    with pytest.raises(DataValidationError) as info:
        load_classification_data(DataSpec(train=str(train), validation=str(val)))
    assert [i.level for i in info.value.issues] == ["error", "error", "error"]


def test_formats_tsv_jsonl_parquet_and_int_labels(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    tsv = write(tmp_path / "d.tsv", "sentence\tlabel\n" + "".join(f"it 's \"good\" {i}\t1\nbad {i}\t0\n" for i in range(4)))
    data = load_classification_data(DataSpec(train=str(tsv)))
    assert data.label_names == ["0", "1"]
    assert any('"good"' in t for t in data.train.texts + data.validation.texts)  # quotes kept verbatim in TSV
    jsonl = write(tmp_path / "d.jsonl", "\n".join(json.dumps({"text": f"t{i}", "intent": i % 2}) for i in range(8)))
    assert load_classification_data(DataSpec(train=str(jsonl))).label_names == ["0", "1"]
    pq.write_table(pa.table({"review": [f"r{i}" for i in range(8)], "label": ["a", "b"] * 4}), tmp_path / "d.parquet")
    assert load_classification_data(DataSpec(train=str(tmp_path / "d.parquet"))).label_names == ["a", "b"]


def test_bad_jsonl_line(tmp_path):
    path = write(tmp_path / "d.jsonl", '{"text": "a", "label": 1}\n{"text": oops}\n')
    with pytest.raises(DataError, match=r"d\.jsonl:2: invalid JSON"):
        load_classification_data(DataSpec(train=str(path)))


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + good_rows().encode())
    assert load_classification_data(DataSpec(train=str(path))).label_names == ["neg", "pos"]


def test_stratified_split_is_deterministic(tmp_path):
    path = write(tmp_path / "d.csv", good_rows(20))
    a = load_classification_data(DataSpec(train=str(path)))
    b = load_classification_data(DataSpec(train=str(path)))
    assert a.validation.texts == b.validation.texts
    assert sorted(set(a.validation.labels)) == ["neg", "pos"]
    assert len(a.validation) == 6
