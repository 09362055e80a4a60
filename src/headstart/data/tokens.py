"""Token-classification (NER) data: read, validate, convert to one tag scheme, split.

Accepted files:

- CoNLL-style columns: one token per line, the token in the first column and the
  tag in the last (POS/chunk columns between are ignored), a blank line between
  sentences, ``-DOCSTART-`` lines skipped. Columns are tab-separated when the file
  uses tabs (tokens may then hold spaces), otherwise whitespace-separated.
- JSONL, one sentence per line: ``{"tokens": [...], "tags": [...]}`` (also
  ``ner_tags``/``labels``), or ``{"text": ..., "entities": [[start, end, label], ...]}``
  (also ``spans``; items may be ``{"start", "end", "label"}``) with character offsets.

Every split is converted to BIO (IOB2) the same way: IOB1 (I- by default, B- only
between adjacent entities of one type) and BIOES/BILOU are rewritten, so training,
evaluation and prediction all see one scheme. Every problem is reported with its
``file:line`` before anything trains.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from headstart.data.issues import IssueLog
from headstart.errors import DataError

SCHEMES = ("auto", "iob1", "iob2", "bioes")
TAG_KEYS = ("tags", "ner_tags", "labels")
SPAN_KEYS = ("entities", "spans")
_TAG = re.compile(r"^(O|([BIESLU])-(.+))$")
_WORD = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]")
"""Words of raw text: runs of word characters (keeping inner hyphens, apostrophes and dots) or one symbol."""


@dataclass
class TokenOptions:
    """Token classification options (--task tokens)"""

    tag_scheme: Literal["auto", "iob1", "iob2", "bioes"] = "auto"
    """Tag scheme of the data files: 'iob1' (CoNLL-2003), 'iob2' (BIO), 'bioes' (also BILOU), or 'auto' (decided per file from its tags). All are converted to BIO."""
    label_all_subwords: bool = False
    """Train every sub-word of a word on its tag (B- becomes I- after the first); default: only the first sub-word, the others are ignored by the loss."""
    max_train_sentences: int | None = None
    """Train on a seeded random sample of this many training sentences (after the validation split) [default: all]."""
    max_validation_sentences: int | None = None
    """Pick the best epoch on a seeded random sample of this many validation sentences (faster on a CPU) [default: all]; test is always scored in full."""


@dataclass
class TaggedSentences:
    """One split: words, their BIO tags, and where each sentence starts (``file:line``)."""

    words: list[list[str]]
    tags: list[list[str]]
    sources: list[str]
    name: str = "train"

    def __len__(self) -> int:
        return len(self.words)

    def subset(self, indices: list[int], name: str) -> "TaggedSentences":
        return TaggedSentences([self.words[i] for i in indices], [self.tags[i] for i in indices], [self.sources[i] for i in indices], name)

    def n_tokens(self) -> int:
        return sum(len(w) for w in self.words)


@dataclass
class TokenData:
    train: TaggedSentences
    validation: TaggedSentences
    test: TaggedSentences | None
    tag_names: list[str]
    """'O' then B-/I- of every entity type seen in train, types sorted."""
    schemes: dict[str, str] = field(default_factory=dict)
    """Scheme each file was read as (before conversion to BIO)."""
    issues: IssueLog = field(default_factory=IssueLog)
    validation_from_train: bool = False

    @property
    def entity_types(self) -> list[str]:
        return [t[2:] for t in self.tag_names if t.startswith("B-")]

    def splits(self) -> dict[str, TaggedSentences]:
        out = {"train": self.train, "validation": self.validation}
        if self.test is not None:
            out["test"] = self.test
        return out


@dataclass
class _Raw:
    """A sentence as read: words, raw tags, and the file line of each word."""

    words: list[str]
    tags: list[str]
    lines: list[int]


def split_words(text: str, cuts: set[int] | None = None) -> list[tuple[int, int]]:
    """Character spans of the words of ``text``; a word is also cut at any offset in ``cuts``."""
    spans = []
    for match in _WORD.finditer(text):
        start, end = match.span()
        inner = sorted(c for c in (cuts or ()) if start < c < end)
        for cut in inner:
            spans.append((start, cut))
            start = cut
        spans.append((start, end))
    return spans


# ---------------------------------------------------------------- reading


def _read_lines(path: Path, encoding: str) -> list[str]:
    if not path.is_file():
        raise DataError(f"{path}: no such file. Give a CoNLL column file or a JSONL file of tagged sentences.")
    try:
        return path.read_text(encoding=encoding).splitlines()
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not readable as {encoding} ({err}). Pass the file's --encoding.") from None


def _read_conll(path: Path, lines: list[str], log: IssueLog) -> list[_Raw]:
    tabbed = any("\t" in line.strip(" ") for line in lines[:200] if line.strip())
    expected, expected_at = 0, 0
    wrong_columns: list[str] = []
    sentences: list[_Raw] = []
    current = _Raw([], [], [])
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("-DOCSTART-"):
            if current.words:
                sentences.append(current)
                current = _Raw([], [], [])
            continue
        fields = line.split("\t") if tabbed else line.split()
        fields = [f.strip() for f in fields]
        if not expected:
            expected, expected_at = len(fields), number
        if len(fields) != expected or len(fields) < 2 or not fields[0]:
            wrong_columns.append(f"{path}:{number}")
            continue
        current.words.append(fields[0])
        current.tags.append(fields[-1])
        current.lines.append(number)
    if current.words:
        sentences.append(current)
    if expected == 1:
        log.error(f"{path}: lines have one column; expected a token and its tag (token first, tag last, {'tab' if tabbed else 'space'}-separated).", [f"{path}:{expected_at}"])
    elif wrong_columns:
        log.error(f"{path}: {len(wrong_columns)} line(s) do not have the {expected} columns of the first token line ({path}:{expected_at}) or have an empty token. Fix or remove them.", wrong_columns)
    return sentences


def _entities_of(item: dict, key: str, where: str, log: IssueLog) -> list[tuple[int, int, str]] | None:
    out = []
    for entity in item[key]:
        if isinstance(entity, dict) and {"start", "end", "label"} <= set(entity):
            start, end, label = entity["start"], entity["end"], entity["label"]
        elif isinstance(entity, (list, tuple)) and len(entity) == 3:
            start, end, label = entity
        else:
            log.error(f"'{key}' items must be [start, end, label] or {{\"start\", \"end\", \"label\"}}; found {json.dumps(entity)[:60]}.", [where])
            return None
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(item["text"]):
            log.error(f"entity offsets must be integers with 0 <= start < end <= len(text) ({len(item['text'])}); found [{start}, {end}].", [where])
            return None
        if not isinstance(label, str) or not label.strip() or re.match(r"^[BIESLU]-", label):
            log.error(f"entity labels must be type names like 'PER' (no B-/I- prefix); found {label!r}.", [where])
            return None
        out.append((start, end, label.strip()))
    out.sort()
    for (s1, e1, _), (s2, e2, _) in zip(out, out[1:]):
        if s2 < e1:
            log.error(f"entities [{s1}, {e1}] and [{s2}, {e2}] overlap; token classification gives each character one label. Keep one.", [where])
            return None
    return out


def _from_spans(text: str, entities: list[tuple[int, int, str]], where_line: int) -> _Raw:
    cuts = {offset for start, end, _ in entities for offset in (start, end)}
    spans = split_words(text, cuts)
    tags = ["O"] * len(spans)
    for start, end, label in entities:
        inside = [i for i, (s, e) in enumerate(spans) if s >= start and e <= end]
        for n, i in enumerate(inside):
            tags[i] = ("B-" if n == 0 else "I-") + label
    return _Raw([text[s:e] for s, e in spans], tags, [where_line] * len(spans))


def _read_jsonl(path: Path, lines: list[str], log: IssueLog) -> list[_Raw]:
    sentences: list[_Raw] = []
    bad_json, no_keys, mismatch = [], [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            bad_json.append(where)
            continue
        item = item if isinstance(item, dict) else {}
        tag_key = next((k for k in TAG_KEYS if k in item), None)
        span_key = next((k for k in SPAN_KEYS if k in item), None)
        if isinstance(item.get("tokens"), list) and tag_key:
            words, tags = item["tokens"], item[tag_key]
            if not isinstance(tags, list) or len(tags) != len(words):
                mismatch.append(where)
                continue
            if any(not isinstance(t, str) for t in tags):
                log.error(f"'{tag_key}' must be tag strings like 'B-PER'; found {json.dumps(tags)[:60]}. Map integer tags to their names first.", [where])
                continue
            sentences.append(_Raw([str(w) for w in words], list(tags), [number] * len(words)))
        elif isinstance(item.get("text"), str) and span_key and isinstance(item[span_key], list):
            entities = _entities_of(item, span_key, where, log)
            if entities is not None:
                raw = _from_spans(item["text"], entities, number)
                if raw.words:
                    sentences.append(raw)
        else:
            no_keys.append(where)
    if bad_json:
        log.error(f"{path}: {len(bad_json)} line(s) are not valid JSON.", bad_json)
    if no_keys:
        log.error(f"{path}: {len(no_keys)} line(s) have neither 'tokens' with 'tags' nor 'text' with 'entities' (character spans).", no_keys)
    if mismatch:
        log.error(f"{path}: {len(mismatch)} line(s) have a different number of tags than tokens.", mismatch)
    return sentences


# ---------------------------------------------------------------- schemes


def _parts(tag: str) -> tuple[str, str]:
    """(prefix, type): ('O', '') for outside."""
    return ("O", "") if tag == "O" else (tag[0], tag[2:])


def detect_scheme(sentences: list[_Raw]) -> str:
    """'bioes' if any S-/E-/L-/U- tag; else 'iob1' if more entities start with I- than with B- (CoNLL-2003 style), else 'iob2'.

    Counting rather than requiring zero B- starts keeps a real IOB1 file with a few
    stray B- tags IOB1, and a BIO file with a few broken I- tags BIO (where they are
    then reported as B/I mismatches).
    """
    b_starts = i_starts = 0
    for sentence in sentences:
        previous = ("O", "")
        for tag in sentence.tags:
            prefix, kind = _parts(tag)
            if prefix in ("E", "S", "L", "U"):
                return "bioes"
            if prefix == "B":
                b_starts += 1
            elif prefix == "I" and (previous[0] == "O" or previous[1] != kind):
                i_starts += 1
            previous = (prefix, kind)
    return "iob1" if i_starts > b_starts else "iob2"


def to_bio(tags: list[str], scheme: str) -> list[str]:
    """Rewrite one sentence's valid tags from ``scheme`` to BIO (IOB2)."""
    out, previous = [], ("O", "")
    for tag in tags:
        prefix, kind = _parts(tag)
        if prefix == "O":
            out.append("O")
        elif prefix in "BSU":
            out.append("B-" + kind)
        elif scheme == "iob1" and prefix == "I" and (previous[0] == "O" or previous[1] != kind):
            out.append("B-" + kind)
        else:  # I, E, L continue an entity
            out.append("I-" + kind)
        previous = (prefix, kind)
    return out


def _check_tags(path: Path, sentences: list[_Raw], scheme: str, log: IssueLog) -> None:
    """Tags outside the scheme and B/I mismatches, each with its file:line."""
    unknown: dict[str, list[str]] = {}
    wrong_scheme: list[str] = []
    mismatches: list[str] = []
    allowed = "BIESLU" if scheme == "bioes" else "BI"
    for sentence in sentences:
        previous = ("O", "")
        for n, (tag, line) in enumerate(zip(sentence.tags, sentence.lines)):
            where = f"{path}:{line}"
            if not _TAG.match(tag):
                unknown.setdefault(tag, []).append(where)
                previous = ("O", "")
                continue
            prefix, kind = _parts(tag)
            if prefix != "O" and prefix not in allowed:
                wrong_scheme.append(where)
            continues = previous[1] == kind and previous[0] in "BI"
            if scheme == "iob2" and prefix == "I" and not continues:
                mismatches.append(f"{where} ({tag} after {sentence.tags[n - 1] if n else 'sentence start'})")
            if scheme == "bioes":
                if prefix in "IEL" and not continues:
                    mismatches.append(f"{where} ({tag} does not continue a B-/I- {kind})")
                following = _parts(sentence.tags[n + 1]) if n + 1 < len(sentence.tags) else ("O", "")
                if prefix in "BI" and not (following[1] == kind and following[0] in "IEL"):
                    mismatches.append(f"{where} ({tag} is not followed by I-/E-{kind})")
            previous = (prefix, kind)
    for tag, places in unknown.items():
        log.error(f"{path}: tag {tag!r} is outside the {scheme.upper()} scheme (expected 'O' or PREFIX-TYPE like 'B-PER').", places)
    if wrong_scheme:
        log.error(f"{path}: S-/E-/L-/U- tags in a file read as {scheme.upper()}; pass --tag-scheme bioes if the file is BIOES.", wrong_scheme)
    if mismatches:
        hint = " If the file is IOB1 (entities start with I-, as in CoNLL-2003), pass --tag-scheme iob1." if scheme == "iob2" else ""
        log.error(f"{path}: {len(mismatches)} B/I mismatch(es): an I- tag must continue an entity of the same type started by B-.{hint}", mismatches)


def read_tagged_file(path: str | Path, scheme: str = "auto", encoding: str = "utf-8", log: IssueLog | None = None, name: str = "train") -> tuple[TaggedSentences, str]:
    """Sentences of one file with BIO tags, and the scheme it was read as.

    Problems are added to ``log`` (raised at once when no log is given).
    """
    own_log = log is None
    log = log or IssueLog()
    if scheme not in SCHEMES:
        raise DataError(f"--tag-scheme must be one of {', '.join(SCHEMES)}; got {scheme!r}.")
    path = Path(path)
    lines = _read_lines(path, encoding)
    first = next((line for line in lines if line.strip()), "")
    is_json = path.suffix.lower() in {".jsonl", ".json", ".ndjson"} or first.lstrip().startswith("{")
    raw = _read_jsonl(path, lines, log) if is_json else _read_conll(path, lines, log)
    if not raw and not log.errors:
        log.error(f"{path}: no tagged sentences found. Expected CoNLL columns (token ... tag, blank line between sentences) or JSONL.")
    used = detect_scheme(raw) if scheme == "auto" else scheme
    _check_tags(path, raw, used, log)
    if own_log:
        log.raise_if_errors()
    bio = [to_bio(s.tags, used) if all(_TAG.match(t) for t in s.tags) else list(s.tags) for s in raw]
    return TaggedSentences([s.words for s in raw], bio, [f"{path}:{s.lines[0]}" for s in raw], name), used


def tag_names_for(types: set[str]) -> list[str]:
    names = ["O"]
    for kind in sorted(types):
        names += [f"B-{kind}", f"I-{kind}"]
    return names


def _types(split: TaggedSentences) -> set[str]:
    return {tag[2:] for tags in split.tags for tag in tags if tag != "O"}


def load_token_data(train: str, validation: str | None = None, test: str | None = None, options: TokenOptions | None = None, encoding: str = "utf-8", validation_fraction: float = 0.15, split_seed: int = 13) -> TokenData:
    """Read, validate and split token-classification data; raises with every problem at once."""
    options = options or TokenOptions()
    log = IssueLog()
    schemes: dict[str, str] = {}
    splits: dict[str, TaggedSentences] = {}
    for name, path in (("train", train), ("validation", validation), ("test", test)):
        if path is not None:
            splits[name], schemes[name] = read_tagged_file(path, options.tag_scheme, encoding, log, name)
    log.raise_if_errors()
    full = splits["train"]
    from_train = "validation" not in splits
    if from_train:
        if not 0 < validation_fraction < 1:
            raise DataError(f"--validation-fraction must be between 0 and 1 to hold out validation sentences; got {validation_fraction}. Or give --validation FILE.")
        order = list(range(len(full)))
        random.Random(split_seed).shuffle(order)
        n_val = max(1, round(len(order) * validation_fraction))
        if len(order) - n_val < 1:
            raise DataError(f"{train}: {len(full)} sentence(s) are too few to hold out validation; give --validation FILE or more data.")
        splits["validation"] = full.subset(sorted(order[:n_val]), "validation")
        full = full.subset(sorted(order[n_val:]), "train")
    for flag, value in (("--max-train-sentences", options.max_train_sentences), ("--max-validation-sentences", options.max_validation_sentences)):
        if value is not None and value < 1:
            raise DataError(f"{flag} must be at least 1; got {value}.")
    if options.max_train_sentences is not None and options.max_train_sentences < len(full):
        keep = random.Random(split_seed + 1).sample(range(len(full)), options.max_train_sentences)
        full = full.subset(sorted(keep), "train")
    if options.max_validation_sentences is not None and options.max_validation_sentences < len(splits["validation"]):
        keep = random.Random(split_seed + 2).sample(range(len(splits["validation"])), options.max_validation_sentences)
        splits["validation"] = splits["validation"].subset(sorted(keep), "validation")
    train_types = _types(full)
    if not train_types:
        raise DataError(f"{train}: no entity tags in the training sentences (every tag is 'O'); there is nothing to learn.")
    for name in ("validation", "test"):
        unseen = sorted(_types(splits[name]) - train_types) if name in splits else []
        if unseen:
            log.warn(f"{name} has entity types never seen in train: {', '.join(unseen)}; the model cannot predict them and they count as misses.")
    return TokenData(full, splits["validation"], splits.get("test"), tag_names_for(train_types), schemes, log, from_train)
