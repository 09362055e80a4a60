"""Corpus reading: layouts, streaming by byte offset, held-out split, and clear errors for bad corpora."""

from __future__ import annotations

import json

import pytest

from conftest import write
from headstart.corpus import textfile
from headstart.corpus.reader import CorpusSpec, load_corpus, split_heldout
from headstart.errors import ConfigError, DataError


def test_one_document_per_line(tmp_path):
    path = write(tmp_path / "c.txt", "first doc here\n\nsecond doc\r\nthird doc\n")
    corpus = load_corpus(path)
    assert corpus.layout == "lines"
    assert [corpus.documents[i] for i in range(3)] == ["first doc here", "second doc", "third doc"]
    assert sorted(corpus.train + corpus.heldout) == [0, 1, 2]
    assert len(corpus.heldout) == 1


def test_blank_line_separated_paragraphs_are_detected(tmp_path):
    path = write(tmp_path / "c.txt", "A first paragraph\nwrapped over lines.\n\nThe second one\nalso wrapped.\n\nThird\nparagraph.\n")
    corpus = load_corpus(path)
    assert corpus.layout == "paragraphs"
    assert corpus.texts([0, 1, 2]) == ["A first paragraph wrapped over lines.", "The second one also wrapped.", "Third paragraph."]


def test_layout_can_be_forced(tmp_path):
    path = write(tmp_path / "c.txt", "a b\nc d\n\ne f\ng h\n")
    assert len(load_corpus(path, CorpusSpec(layout="lines")).documents) == 4
    assert len(load_corpus(path, CorpusSpec(layout="paragraphs")).documents) == 2


def test_large_file_streams_in_chunks_with_exact_offsets(tmp_path, monkeypatch):
    monkeypatch.setattr(textfile, "CHUNK_BYTES", 7)  # documents straddle chunk borders
    lines = [f"document number {i} é" for i in range(50)]
    path = write(tmp_path / "c.txt", "\n".join(lines) + "\n")
    corpus = load_corpus(path)
    assert [corpus.documents[i] for i in range(50)] == lines
    assert not hasattr(corpus.documents, "texts")  # held as offsets, read from disk on demand


def test_text_column_of_csv_and_jsonl(tmp_path):
    csv = write(tmp_path / "c.csv", "id,body\n1,hello there\n2,general kenobi\n3,\n")
    corpus = load_corpus(csv)
    assert corpus.layout == "column:body" and corpus.texts([0, 1]) == ["hello there", "general kenobi"]
    jsonl = write(tmp_path / "c.jsonl", "\n".join(json.dumps({"note": f"text {i}"}) for i in range(4)))
    assert load_corpus(jsonl, CorpusSpec(text_column="note")).texts([3]) == ["text 3"]


def test_heldout_split_is_seeded_and_disjoint():
    train, heldout = split_heldout(100, 0.1, 500, seed=3)
    assert len(heldout) == 10 and not set(train) & set(heldout) and len(train) == 90
    assert split_heldout(100, 0.1, 500, seed=3) == (train, heldout)
    assert split_heldout(100, 0.1, 4, seed=3)[1].__len__() == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "holds no text"),
        (b"PK\x03\x04\x00\x00binary\x00stuff\n" * 3, "looks binary (NUL bytes)"),
        (b"just one line of text without any newline at all", "found a single document"),
        (b"caf\xe9 au lait\nsecond line\n", "not valid utf-8 (byte 0xe9 at offset 3). Pass the file's real encoding with --encoding"),
    ],
)
def test_bad_corpora_get_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=None) as err:
        load_corpus(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_undecodable_error_names_the_line_and_other_encodings_work(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes(b"fine line\nanother\ncaf\xe9\n")
    with pytest.raises(DataError, match=r"latin\.txt:3: bytes that are not valid utf-8"):
        load_corpus(path)
    assert load_corpus(path, CorpusSpec(encoding="latin-1")).documents[2] == "café"


def test_missing_file_and_bad_options(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_corpus(tmp_path / "nope.txt")
    with pytest.raises(DataError, match="unsupported corpus type '.docx'"):
        load_corpus(write(tmp_path / "a.docx", "x\ny\n"))
    with pytest.raises(ConfigError, match="--heldout-fraction must be between 0 and 0.5"):
        load_corpus(write(tmp_path / "a.txt", "x\ny\n"), CorpusSpec(heldout_fraction=0.9))
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        load_corpus(write(tmp_path / "b.txt", "x\ny\n"), CorpusSpec(encoding="klingon"))
