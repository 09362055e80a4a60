"""Pre-training from scratch: tokenizer, BERT/ALBERT shapes, masked-token accuracy above baseline, usable as --base."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
import yaml

from headstart.cli.main import main
from headstart.corpus.reader import load_corpus
from headstart.pretrain.architectures import parameter_counts
from headstart.pretrain.masking import IGNORE_INDEX, MaskingSpec
from headstart.pretrain.scratch import RECORD_FILE, PretrainConfig, pretrain
from headstart.pretrain.sentence_pairs import SentencePairCollator
from headstart.pretrain.wordpiece import train_wordpiece

SUBJECTS = ("the patient", "the drug", "this study", "the treatment", "the dose", "each group", "the trial")
VERBS = ("reduced", "increased", "caused", "prevented", "improved", "worsened")
OBJECTS = ("blood pressure", "kidney damage", "liver toxicity", "heart failure", "the symptoms", "the risk of death", "pain scores")
TAILS = ("in most patients", "after two weeks", "in the placebo group", "at high doses", "without side effects")


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def grammar_corpus(path: Path, lines: int, seed: int = 0) -> Path:
    """Clinical-sounding sentences from a small grammar (~55 bytes a line): structure a tiny model can learn."""
    rng = random.Random(seed)
    text = "\n".join(" ".join(rng.choice(slot) for slot in (SUBJECTS, VERBS, OBJECTS, TAILS)) + " ." for _ in range(lines))
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_wordpiece_tokenizer_splits_unseen_words_into_pieces():
    tokenizer = train_wordpiece(["the patient reduced the dose", "the patients reduced doses"] * 50, vocab_size=120)
    assert tokenizer.mask_token_id is not None and tokenizer.pad_token_id == 0
    encoded = tokenizer("The patients")
    assert tokenizer.convert_ids_to_tokens(encoded["input_ids"])[0] == "[CLS]"
    assert len(tokenizer.tokenize("reducedoses")) > 1  # never seen as a word: pieces, not [UNK]


def test_albert_sharing_cuts_parameters():
    counts = parameter_counts("tiny", 8000, {"pad": 0, "cls": 2, "sep": 3})
    assert counts["albert_shared"] < counts["albert_unshared"] < counts["bert"]
    assert counts["bert"] - counts["albert_unshared"] > 500_000  # factorized embeddings (8000 x 64 instead of 8000 x 128)
    assert counts["albert_unshared"] - counts["albert_shared"] > 150_000  # one layer instead of two


def test_sentence_order_examples_are_swapped_half_the_time():
    tokenizer = train_wordpiece(["a b c d e f g h"] * 20, vocab_size=100)
    collate = SentencePairCollator(lambda ids: ["a b c d e f g h"] * len(ids), tokenizer, 32, seed=0, label_name="sentence_order_label")
    batch = collate(list(range(200)))
    assert 70 < int(batch["sentence_order_label"].sum()) < 130
    assert batch["token_type_ids"].max() == 1 and batch["token_type_ids"][:, 0].max() == 0


def test_next_sentence_examples_pair_a_first_half_with_its_own_or_another_documents_second_half():
    documents = [f"w{d}a w{d}b w{d}c w{d}d w{d}e w{d}f" for d in range(30)]
    tokenizer = train_wordpiece(documents * 3, vocab_size=2000)
    seen: list[list[int]] = []

    def texts_for(ids: list[int]) -> list[str]:
        seen.append(list(ids))
        return [documents[i % len(documents)] for i in ids]

    collate = SentencePairCollator(texts_for, tokenizer, 32, seed=0, label_name="next_sentence_label", spec=MaskingSpec(probability=0.01),
                                   objective="nsp", n_examples=len(documents))
    indices = list(range(30, 90))  # the second and third pass over the corpus
    batch = collate(indices)
    labels = batch["next_sentence_label"].tolist()
    assert 15 < sum(labels) < 45
    for row, (index, label) in enumerate(zip(indices, labels)):
        ids = [int(t if t != IGNORE_INDEX else i) for i, t in zip(batch["input_ids"][row], batch["labels"][row])]  # unmasked
        sep = ids.index(tokenizer.sep_token_id)
        owners = lambda part: {word[1:-1] for word in tokenizer.decode(part, skip_special_tokens=True).split()}  # noqa: E731  'w12c' -> '12'
        first, second = owners(ids[1:sep]), owners(ids[sep + 1 :])
        assert first == {str(index % 30)}
        assert (second == first) if label == 0 else (len(second) == 1 and second != first), (index, label, first, second)
    partners = [ids[0] for ids in seen[1:]]
    assert len(partners) == sum(labels) and all(30 <= p < 90 for p in partners)  # drawn from the same pass as the example


def test_next_sentence_objective_trains_bert_with_its_sentence_head(tmp_path):
    from safetensors.torch import load_file

    corpus = grammar_corpus(tmp_path / "corpus.txt", lines=400)
    config = PretrainConfig(size="tiny", objective="mlm+nsp", vocab_size=150, steps=4, batch_size=8, max_length=24, precision="fp32", perplexity_tokens=20, eval_documents=10)
    result = pretrain(load_corpus(corpus), config, tmp_path / "nsp", log=lambda m: None)
    record = yaml.safe_load((tmp_path / "nsp" / RECORD_FILE).read_text())
    assert record["architecture"] == "BertForPreTraining" and record["pretrain"]["objective"] == "mlm+nsp" and result.steps == 4
    head_bias = load_file(str(tmp_path / "nsp" / "model.safetensors"))["cls.seq_relationship.bias"]
    assert float(head_bias.abs().max()) > 1e-5  # initialised to zero: only next-sentence gradients move it
    with pytest.raises(SystemExit):
        main(["pretrain", str(corpus), "--objective", "mlm+nxp"])


def test_tiny_model_from_scratch_beats_most_frequent_token_baseline(tmp_path):
    corpus = grammar_corpus(tmp_path / "corpus.txt", lines=18_000)  # ~1 MB
    assert corpus.stat().st_size > 900_000
    config = PretrainConfig(size="tiny", vocab_size=300, steps=150, batch_size=32, max_length=32, learning_rate=1e-3, precision="fp32", checkpoint_every=100)
    result = pretrain(load_corpus(corpus), config, tmp_path / "base", log=lambda m: None)
    scores = result.scores
    assert scores["masked_tokens"] > 200
    assert scores["mlm_accuracy"] > scores["majority_accuracy"] + 0.15, scores
    record = yaml.safe_load((tmp_path / "base" / RECORD_FILE).read_text())
    assert record["architecture"] == "BertForMaskedLM" and record["parameters"]["this_model"] == record["parameters"]["bert"]


def test_albert_with_sentence_order_pretrains_and_fine_tunes(tmp_path, capsys):
    corpus = grammar_corpus(tmp_path / "corpus.txt", lines=600)
    out = tmp_path / "albert"
    code = main(["pretrain", str(corpus), "--output", str(out), "--size", "tiny", "--share-layers", "--objective", "mlm+sop", "--vocab-size", "150",
                 "--steps", "6", "--batch-size", "8", "--max-length", "24", "--precision", "fp32", "--perplexity-tokens", "20"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "ALBERT-style shared" in printed and "masked-token accuracy" in printed
    record = yaml.safe_load((out / RECORD_FILE).read_text())
    assert record["architecture"] == "AlbertForPreTraining"
    assert record["parameters"]["albert_shared"] < record["parameters"]["albert_unshared"]
    labeled = tmp_path / "labeled.csv"
    labeled.write_text("text,label\n" + "".join(f"the drug reduced pain {i},good\nthe drug caused harm {i},bad\n" for i in range(12)), encoding="utf-8")
    assert main(["train", str(labeled), "--base", str(out), "--epochs", "1", "--precision", "fp32", "--output", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "model.safetensors").is_file()


def test_pretrain_rejects_bad_options_and_corpora(tmp_path, capsys):
    corpus = grammar_corpus(tmp_path / "corpus.txt", lines=50)
    assert main(["pretrain", str(corpus), "--vocab-size", "10", "--steps", "0"]) == 2
    err = capsys.readouterr().err
    assert "--vocab-size must be at least 100; got 10" in err and "--steps must be at least 1; got 0" in err
    single = tmp_path / "one.txt"
    single.write_text("only one line here", encoding="utf-8")
    assert main(["pretrain", str(single), "--output", str(tmp_path / "x")]) == 2
    assert "found a single document" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["pretrain", "adapt"])
def test_help_mentions_the_main_options(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "--steps" in text and "--resume" in text and "--encoding" in text


def test_resumed_run_reuses_the_tokenizer_it_started_with(tmp_path):
    """WordPiece training differs from one process to the next: a resumed run (or a second process) must not retrain it."""
    from transformers import AutoTokenizer

    corpus = load_corpus(grammar_corpus(tmp_path / "corpus.txt", lines=300))
    earlier = train_wordpiece(["zzyzx road"] * 20 + [corpus.documents[i] for i in corpus.train], vocab_size=150)
    earlier.save_pretrained(tmp_path / ".resumed.tokenizer")
    config = PretrainConfig(vocab_size=150, steps=2, batch_size=4, max_length=24, precision="fp32", perplexity_tokens=10, eval_documents=5)
    pretrain(corpus, config, tmp_path / "resumed", resume=True, log=lambda m: None)
    assert "z" in earlier.get_vocab()  # a letter the grammar corpus never uses
    assert AutoTokenizer.from_pretrained(tmp_path / "resumed").get_vocab() == earlier.get_vocab()
    assert not (tmp_path / ".resumed.tokenizer").exists()  # removed with the checkpoint once the output is complete
    earlier.save_pretrained(tmp_path / ".fresh.tokenizer")  # left by a crash, but this run starts over
    pretrain(corpus, config, tmp_path / "fresh", log=lambda m: None)
    assert "z" not in AutoTokenizer.from_pretrained(tmp_path / "fresh").get_vocab()
