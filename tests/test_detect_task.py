"""--task auto: the task a data file is for, from its shape."""

from __future__ import annotations

import pytest

from headstart.data.detect import detect_task

from conftest import write


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("ner.txt", "EU B-ORG\nrejects O\nGerman B-MISC\n\nPeter B-PER\nBlackburn I-PER\n", "tokens"),
        ("ner.conll", "anything\n", "tokens"),
        ("spans.jsonl", '{"text": "Paris is big", "entities": [[0, 5, "LOC"]]}\n', "tokens"),
        ("tags.jsonl", '{"tokens": ["Paris"], "tags": ["B-LOC"]}\n', "tokens"),
        ("sum.csv", "document,summary\nlong text,short\n", "text2text"),
        ("sum.jsonl", '{"dialogue": "A: hi", "summary": "greeting"}\n', "text2text"),
        ("cls.csv", "text,label\ngreat,pos\n", "classification"),
        ("cls.txt", "great movie\tpos\nawful\tneg\n", "classification"),
        ("pairs.tsv", "sentence1\tsentence2\tlabel\na\tb\tentailment\n", "classification"),
    ],
)
def test_detect_task(tmp_path, name, content, expected):
    assert detect_task(write(tmp_path / name, content)) == expected


def test_missing_file_is_left_to_the_loader(tmp_path):
    assert detect_task(tmp_path / "nope.csv") == "classification"
