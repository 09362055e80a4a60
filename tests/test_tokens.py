"""Token classification (NER): reading and converting tag schemes, errors with file:line, sub-word
alignment, entity-level scores (seqeval conventions), and a tiny end-to-end run with character-span predictions."""

from __future__ import annotations

import json
import random

import pytest
import yaml
from conftest import ASSETS, shared, write

from headstart.data.issues import DataValidationError
from headstart.data.tokens import TokenOptions, load_token_data, read_tagged_file, split_words, to_bio
from headstart.evaluation.entities import entities, entity_metrics

# ---------------------------------------------------------------- reading and schemes


def test_iob1_conll_is_converted_to_bio():
    split, scheme = read_tagged_file(ASSETS / "tokens_iob1.conll")
    assert scheme == "iob1"
    assert split.words == [["EU", "rejects", "German", "call", "."], ["Peter", "Blackburn", "Smith"]]
    # IOB1: I- starts an entity; B- only splits two adjacent entities of one type.
    assert split.tags == [["B-ORG", "O", "B-MISC", "O", "O"], ["B-PER", "I-PER", "B-PER"]]
    assert split.sources == [f"{ASSETS / 'tokens_iob1.conll'}:3", f"{ASSETS / 'tokens_iob1.conll'}:9"]


def test_bioes_tab_file_is_converted_to_bio():
    # A tab-only line separates sentences (as in WNUT-17's training file); U- (BILOU) reads like S-.
    split, scheme = read_tagged_file(ASSETS / "tokens_bioes.tsv")
    assert scheme == "bioes"
    assert split.tags == [["B-LOC", "O", "O", "B-LOC", "I-LOC", "I-LOC"], ["B-PER", "O"]]


def test_to_bio_rules():
    assert to_bio(["I-PER", "I-PER", "I-LOC", "O", "I-LOC"], "iob1") == ["B-PER", "I-PER", "B-LOC", "O", "B-LOC"]
    assert to_bio(["S-X", "B-X", "E-X", "B-Y", "I-Y", "E-Y"], "bioes") == ["B-X", "B-X", "I-X", "B-Y", "I-Y", "I-Y"]
    assert to_bio(["B-X", "I-X", "O"], "iob2") == ["B-X", "I-X", "O"]


def test_jsonl_character_spans_and_token_lists():
    split, scheme = read_tagged_file(ASSETS / "tokens_spans.jsonl")
    assert scheme == "iob2"
    assert split.words[0] == ["Peter", "Blackburn", "visited", "Brussels", "."]
    assert split.tags[0] == ["B-PER", "I-PER", "O", "B-LOC", "O"]
    assert split.tags[1] == ["B-ORG", "O", "O"]
    # An entity boundary inside a word splits the word there.
    assert split.words[2] == ["New-York", "'s", "mayor"]
    assert split.tags[2] == ["B-LOC", "O", "O"]


def test_split_words_cuts_at_entity_offsets():
    assert split_words("abcdef gh", {3}) == [(0, 3), (3, 6), (7, 9)]
    assert split_words("U.S. troops, 1996-08-22") == [(0, 3), (3, 4), (5, 11), (11, 12), (13, 23)]


def test_malformed_conll_names_file_and_line_for_every_problem():
    path = ASSETS / "tokens_bad.conll"
    with pytest.raises(DataValidationError) as err:
        read_tagged_file(path)
    message = str(err.value)
    assert f"{path}:3" in message and "columns" in message  # 3 columns where the file has 2
    assert f"{path}:7" in message and "'B_MONEY' is outside the IOB2 scheme" in message
    assert f"{path}:6 (I-ITEM after sentence start)" in message and "B/I mismatch" in message
    assert len(err.value.issues) == 3


def test_iob2_i_after_other_type_is_a_mismatch(tmp_path):
    path = write(tmp_path / "x.conll", "a B-PER\nb I-PER\nc O\nd B-LOC\ne I-PER\nf B-LOC\n")
    with pytest.raises(DataValidationError, match=r"x.conll:5 \(I-PER after B-LOC\)"):
        read_tagged_file(path)


def test_bioes_unclosed_entity_is_a_mismatch(tmp_path):
    path = write(tmp_path / "x.bioes", "a B-PER\nb O\nc S-LOC\n")
    with pytest.raises(DataValidationError, match=r"x.bioes:1 \(B-PER is not followed by I-/E-PER\)"):
        read_tagged_file(path, "bioes")


def test_bad_jsonl_lines_are_located(tmp_path):
    path = write(tmp_path / "x.jsonl", '{"text": "ab cd", "entities": [[0, 9, "X"]]}\n{"tokens": ["a"], "tags": ["O", "O"]}\nnot json\n{"text": "ab cd", "entities": [[0, 2, "X"], [1, 4, "Y"]]}\n')
    with pytest.raises(DataValidationError) as err:
        read_tagged_file(path)
    message = str(err.value)
    for line, words in ((1, "len(text)"), (2, "number of tags"), (3, "not valid JSON"), (4, "overlap")):
        assert f"x.jsonl:{line}" in message and words in message


def test_seeded_split_and_sample_by_sentence(tmp_path):
    lines = "".join(f"w{i} B-X\nv{i} O\n\n" for i in range(40))
    path = write(tmp_path / "t.conll", lines)
    data = load_token_data(str(path), options=TokenOptions(max_train_sentences=10), validation_fraction=0.25, split_seed=1)
    again = load_token_data(str(path), options=TokenOptions(max_train_sentences=10), validation_fraction=0.25, split_seed=1)
    assert (len(data.train), len(data.validation)) == (10, 10)
    assert data.train.words == again.train.words
    assert not {w[0] for w in data.train.words} & {w[0] for w in data.validation.words}
    assert data.tag_names == ["O", "B-X", "I-X"]


# ---------------------------------------------------------------- entity metric (seqeval conventions)


def test_entities_follow_conlleval_chunking():
    assert entities(["B-PER", "I-PER", "O", "B-LOC"]) == [("PER", 0, 1), ("LOC", 3, 3)]
    # IOB2 I- without B- still starts an entity (seqeval default mode), and a type change ends one.
    assert entities(["O", "I-PER", "I-PER", "I-LOC"]) == [("PER", 1, 2), ("LOC", 3, 3)]
    assert entities(["B-PER", "B-PER", "I-PER"]) == [("PER", 0, 0), ("PER", 1, 2)]
    assert entities(["B-X", "I-Y"]) == [("X", 0, 0), ("Y", 1, 1)]


def test_entity_metrics_hand_computed():
    true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-PER"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["I-ORG", "O", "B-PER", ]]
    m = entity_metrics(true, pred)
    # true: PER(0-1), LOC(3), ORG(0), PER(2) = 4; predicted: PER(0-1), ORG(3), ORG(0 via I-), PER(2) = 4; correct 3.
    assert (m["precision"], m["recall"]) == (0.75, 0.75)
    assert m["f1"] == pytest.approx(0.75)
    assert m["per_type"]["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2, "predicted": 2}
    assert m["per_type"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0}
    assert m["per_type"]["ORG"]["precision"] == 0.5 and m["per_type"]["ORG"]["recall"] == 1.0
    assert m["per_type"]["ORG"]["f1"] == pytest.approx(2 / 3)
    assert m["macro_f1"] == pytest.approx((1 + 0 + 2 / 3) / 3)
    assert m["token_accuracy"] == pytest.approx(5 / 7)


def test_partial_span_is_not_a_match():
    m = entity_metrics([["B-PER", "I-PER"]], [["B-PER", "O"]])
    assert (m["precision"], m["recall"], m["f1"]) == (0.0, 0.0, 0.0)


# ---------------------------------------------------------------- sub-word alignment


def test_first_subword_carries_the_tag(tiny_base):
    from transformers import AutoTokenizer

    from headstart.tasks.tokens import IGNORE, align_labels, encode_words

    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    # 'bank!' is one word of two sub-words ('bank', '!').
    pieces, truncated = encode_words(tokenizer, [["the", "bank!", "lost"]], 32)
    assert truncated == 0
    assert pieces.word_ids[0] == [None, 0, 1, 1, 2, None]
    assert encode_words(tokenizer, [["the", "bank!", "lost"]], 4)[1] == 1
    names = ["O", "B-ORG", "I-ORG"]
    assert align_labels([None, 0, 1, 1, 1, 2, None], [0, 1, 0], names) == [IGNORE, 0, 1, IGNORE, IGNORE, 0, IGNORE]
    assert align_labels([None, 0, 1, 1, 1, 2, None], [0, 1, 0], names, all_subwords=True) == [IGNORE, 0, 1, 2, 2, 0, IGNORE]


def test_long_sentences_are_tagged_in_word_windows():
    from headstart.tasks.tokens import _windows

    # 5 words of 2 sub-words each with room for 4 sub-words: windows of 2 words.
    word_ids = [[None, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, None]]
    assert _windows(word_ids, [5], 4) == [(0, 0, 2), (0, 2, 4), (0, 4, 5)]


# ---------------------------------------------------------------- end to end with a tiny random BERT

FILLER = ["the", "my", "was", "is", "it", "and", "so", "very", "quite", "this", "where", "please", "help", "lost", "money", ",", ".", "!"]


def tiny_ner_lines(n: int, seed: int) -> str:
    """Sentences where 'bank' is an ORG and 'great film' a two-word WORK: learnable from word identity."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [(w, "O") for w in rng.choices(FILLER, k=rng.randint(3, 6))]
        if rng.random() < 0.7:
            words.insert(rng.randint(0, len(words)), ("bank", "B-ORG"))
        if rng.random() < 0.5:
            at = rng.randint(0, len(words))
            words[at:at] = [("great", "B-WORK"), ("film", "I-WORK")]
        out.append("\n".join(f"{w}\t{t}" for w, t in words) + "\n")
    return "\n".join(out)


@pytest.fixture(scope="module")
def tiny_token_run(tmp_path_factory, tiny_base):
    from headstart.api_tokens import train_token_run
    from headstart.runs.tokens_run import TokenFiles
    from headstart.training.config import TrainConfig

    folder = tmp_path_factory.mktemp("ner")
    train = write(folder / "train.conll", tiny_ner_lines(80, 0))
    test = write(folder / "test.conll", tiny_ner_lines(20, 1))
    config = TrainConfig(epochs=6, learning_rate=3e-3, head_learning_rate=3e-3, batch_size=8, patience=0, seed=3, precision="fp32", max_length=32)
    return train_token_run(TokenFiles(str(train), None, str(test), validation_fraction=0.2), TokenOptions(), str(tiny_base), config, folder / "run", log=lambda m: None)


def test_token_run_writes_exactly_these_files(tiny_token_run):
    files = {p.name for p in tiny_token_run.path.iterdir()} - {"special_tokens_map.json", "vocab.txt"}
    assert files == {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md", "headstart.yaml", "metrics.json", "train.log"}
    record = yaml.safe_load((tiny_token_run.path / "headstart.yaml").read_text())
    assert record["task"] == "token-classification"
    assert record["labels"] == ["O", "B-ORG", "I-ORG", "B-WORK", "I-WORK"]
    assert record["data"]["schemes_read"] == {"train": "iob2", "test": "iob2"}
    metrics = json.loads((tiny_token_run.path / "metrics.json").read_text())
    assert set(metrics) == {"validation", "test", "history"}
    assert set(metrics["test"]["per_type"]) == {"ORG", "WORK"}
    card = (tiny_token_run.path / "README.md").read_text()
    assert "pipeline_tag: token-classification" in card and "| ORG |" in card


def test_tiny_tagger_learns_the_entities(tiny_token_run):
    assert tiny_token_run.metrics["test"]["f1"] >= 0.9


def test_predict_returns_character_spans(tiny_token_run):
    from headstart.api_tokens import predict_entities

    text = "  my bank lost it, great film!"
    [found] = predict_entities(tiny_token_run.path, [text])
    assert [(e["label"], e["text"], e["start"], e["end"]) for e in found] == [("ORG", "bank", 5, 9), ("WORK", "great film", 19, 29)]
    assert all(text[e["start"] : e["end"]] == e["text"] and 0 < e["score"] <= 1 for e in found)
    assert predict_entities(tiny_token_run.path, ["   "]) == [[]]


def test_plain_transformers_pipeline_loads_the_run(tiny_token_run):
    from transformers import pipeline

    tagger = pipeline("token-classification", model=str(tiny_token_run.path), aggregation_strategy="first")
    groups = [(e["entity_group"], e["word"]) for e in tagger("my bank lost it")]
    assert groups == [("ORG", "bank")]


def test_cli_predict_and_eval_on_a_token_run(tiny_token_run, capsys, tmp_path):
    from headstart.cli.main import main

    assert main(["predict", str(tiny_token_run.path), "the bank", "--json"]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line == {"text": "the bank", "entities": [{"start": 4, "end": 8, "label": "ORG", "text": "bank", "score": pytest.approx(line["entities"][0]["score"])}]}
    data = write(tmp_path / "eval.jsonl", '{"text": "the bank and great film", "entities": [[4, 8, "ORG"], [13, 23, "WORK"]]}\n')
    assert main(["eval", str(tiny_token_run.path), str(data), "--out", str(tmp_path / "m.json")]) == 0
    assert json.loads((tmp_path / "m.json").read_text())["f1"] == 1.0


def test_serve_returns_entity_spans(tiny_token_run):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from headstart.api_tokens import load_token_run
    from headstart.deploy.server import create_app

    with TestClient(create_app(load_token_run(tiny_token_run.path))) as client:
        response = client.post("/predict", json={"texts": ["my bank", "so great film"]})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert [[(e["label"], e["start"], e["end"], e["text"]) for e in p["entities"]] for p in predictions] == [[("ORG", 3, 7, "bank")], [("WORK", 3, 13, "great film")]]


def test_eval_refuses_unknown_entity_types(tiny_token_run, tmp_path):
    from headstart.api_tokens import evaluate_token_run
    from headstart.errors import DataError

    data = write(tmp_path / "eval.conll", "bank B-PER\n")
    with pytest.raises(DataError, match="types this model does not know: PER"):
        evaluate_token_run(tiny_token_run.path, data)


def test_cli_train_detects_tokens_and_rejects_lora(tmp_path, tiny_base, capsys):
    from headstart.cli.main import main

    train = write(tmp_path / "train.conll", tiny_ner_lines(10, 2))
    code = main(["train", str(train), "--base", str(tiny_base), "--method", "lora", "--output", str(tmp_path / "r")])
    assert code == 2
    assert "--method lora is not available for --task tokens" in capsys.readouterr().err


@pytest.mark.integration
def test_conll2003_reads_with_published_counts():
    folder = shared("conll2003")
    data = load_token_data(str(folder / "eng.train"), str(folder / "eng.testa"), str(folder / "eng.testb"))
    assert data.schemes == {"train": "iob1", "validation": "iob1", "test": "iob1"}
    assert [len(s) for s in data.splits().values()] == [14041, 3250, 3453]
    assert entity_metrics(data.test.tags, data.test.tags)["n_entities"] == 5648


def test_conll_files_named_by_split_are_detected_as_tokens(tmp_path):
    from headstart.data.detect import detect_task

    assert detect_task(write(tmp_path / "eng.train", "-DOCSTART- -X- -X- O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\n")) == "tokens"
    assert detect_task(write(tmp_path / "train.tsv", "Selegiline\tB-Chemical\n-\tO\ninduced\tO\n")) == "tokens"
    assert detect_task(write(tmp_path / "t.tsv", "text\tlabel\ngood film\tpositive\nbad film\tnegative\n")) == "classification"


def test_classification_loaders_refuse_a_token_run(tiny_token_run):
    from headstart.errors import RunDirError
    from headstart.runs.load import load_run

    with pytest.raises(RunDirError, match="token-classification"):
        load_run(tiny_token_run.path)


def test_cli_train_tokens_writes_a_run_and_prints_entity_scores(tmp_path, tiny_base, capsys):
    from headstart.cli.main import main

    train = write(tmp_path / "train.conll", tiny_ner_lines(20, 4))
    out = tmp_path / "run"
    code = main(["train", str(train), "--base", str(tiny_base), "--epochs", "1", "--precision", "fp32", "--max-validation-sentences", "3", "--output", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "validation (used to pick the best epoch): entity F1" in printed and "model: " + str(out) in printed
    record = yaml.safe_load((out / "headstart.yaml").read_text())
    assert record["train"]["method"] == "full" and record["data"]["splits"]["validation"]["sentences"] == 3


def test_cli_tokens_and_text2text_refuse_unlabeled(tmp_path, tiny_base, capsys):
    from headstart.cli.main import main

    train = write(tmp_path / "train.conll", tiny_ner_lines(10, 2))
    extra = write(tmp_path / "more.txt", "some text\n")
    assert main(["train", str(train), "--task", "tokens", "--base", str(tiny_base), "--unlabeled", str(extra), "--output", str(tmp_path / "r")]) == 2
    assert "--unlabeled (self-training on unlabeled texts) is for text classification" in capsys.readouterr().err
    pairs = write(tmp_path / "pairs.jsonl", '{"input": "a b", "target": "c"}\n' * 4)
    assert main(["train", str(pairs), "--task", "text2text", "--base", str(tiny_base), "--unlabeled", str(extra), "--output", str(tmp_path / "t")]) == 2
    assert "--task text2text does not use it" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() and not (tmp_path / "t").exists()
