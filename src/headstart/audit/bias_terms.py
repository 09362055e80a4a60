"""Term lists for counterfactual tests: load, validate, and swap one group's terms for another's.

A term file (YAML) names a ``dimension``, its ``groups``, aligned ``terms`` rows
(each row gives the same thing for each group) and ``persons`` (the phrase that
fills ``{person}`` in templates). Built-in files live in
``headstart/resources/bias_terms``; ``--terms FILE`` adds or replaces a dimension.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from headstart.errors import ConfigError

BUILTIN_DIR = Path(__file__).resolve().parents[1] / "resources" / "bias_terms"
BUILTIN_DIMENSIONS = ("gender", "race", "religion", "nationality", "age")


@dataclass
class TermList:
    """One dimension's groups and their aligned terms."""

    dimension: str
    groups: list[str]
    terms: list[dict[str, str]]
    persons: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def pattern(self, group: str) -> re.Pattern | None:
        """Whole-word, case-insensitive match of any of ``group``'s terms (longest first)."""
        words = sorted({row[group] for row in self.terms if group in row}, key=len, reverse=True)
        if not words:
            return None
        return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)

    def mentioned_groups(self, text: str) -> list[str]:
        return [g for g in self.groups if (p := self.pattern(g)) is not None and p.search(text)]

    def swap(self, text: str, source: str, target: str) -> str:
        """``text`` with each ``source``-group term replaced by the aligned ``target``-group term."""
        mapping: dict[str, str] = {}
        for row in self.terms:
            if source in row and target in row:
                mapping.setdefault(row[source].lower(), row[target])
        pattern = self.pattern(source)
        if pattern is None:
            return text

        def replace(match: re.Match) -> str:
            word = match.group(0)
            new = mapping.get(word.lower())
            if new is None:
                return word
            if word.isupper() and len(word) > 1:
                return new.upper()
            if word[0].isupper():
                return new[0].upper() + new[1:]
            return new

        return pattern.sub(replace, text)


def _fail(source: str, message: str) -> ConfigError:
    return ConfigError(f"term list {source}: {message} See {BUILTIN_DIR / 'gender.yaml'} for the expected shape.")


def parse_term_list(data: object, source: str) -> TermList:
    """Validate a parsed YAML term file, collecting every problem before raising ConfigError."""
    if not isinstance(data, dict):
        raise _fail(source, f"expected a mapping with dimension, groups, terms and persons; found {type(data).__name__}.")
    problems: list[str] = []
    dimension = data.get("dimension")
    groups = data.get("groups")
    if not isinstance(dimension, str) or not dimension.strip():
        problems.append("'dimension' must be a name such as gender.")
    if not isinstance(groups, list) or len(groups) < 2 or not all(isinstance(g, str) for g in groups):
        problems.append("'groups' must list at least 2 group names.")
        groups = []
    known = set(groups)
    terms = data.get("terms") or []
    if not isinstance(terms, list):
        problems.append("'terms' must be a list of mappings from group to term.")
        terms = []
    for number, row in enumerate(terms, start=1):
        if not isinstance(row, dict):
            problems.append(f"terms row {number} must map group names to terms, found {row!r}.")
            continue
        unknown = sorted(str(k) for k in row if k not in known)
        if unknown:
            problems.append(f"terms row {number} names unknown group(s) {', '.join(repr(u) for u in unknown)}; the groups are {', '.join(groups)}.")
        if not all(isinstance(v, str) and v.strip() for v in row.values()):
            problems.append(f"terms row {number} has an empty or non-text term.")
    persons = data.get("persons") or {}
    if not isinstance(persons, dict):
        problems.append("'persons' must map group names to phrases.")
        persons = {}
    unknown = sorted(str(k) for k in persons if k not in known)
    if unknown:
        problems.append(f"'persons' names unknown group(s) {', '.join(repr(u) for u in unknown)}; the groups are {', '.join(groups)}.")
    if not terms and not persons:
        problems.append("neither 'terms' nor 'persons' given: nothing to swap.")
    if problems:
        raise _fail(source, " ".join(problems))
    return TermList(dimension.strip(), list(groups), [{str(k): str(v) for k, v in row.items()} for row in terms], {str(k): str(v) for k, v in persons.items()}, source)


def read_term_list(path: str | Path) -> TermList:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"term list {path}: no such file.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"term list {path}: not valid YAML ({err}).") from None
    return parse_term_list(data, str(path))


def load_term_lists(extra: list[str] | None = None, dimensions: list[str] | None = None) -> list[TermList]:
    """Built-in term lists (optionally only ``dimensions``), with user files replacing same-named dimensions."""
    lists = {name: read_term_list(BUILTIN_DIR / f"{name}.yaml") for name in BUILTIN_DIMENSIONS}
    for path in extra or []:
        term_list = read_term_list(path)
        lists[term_list.dimension] = term_list
    if dimensions:
        unknown = sorted(set(dimensions) - set(lists))
        if unknown:
            raise ConfigError(f"--dimensions: unknown dimension(s) {', '.join(unknown)}; known: {', '.join(lists)}.")
        return [lists[d] for d in dimensions]
    return list(lists.values())


def read_templates(path: str | Path | None = None) -> list[str]:
    """Template sentences holding ``{person}``."""
    path = Path(path) if path else BUILTIN_DIR / "templates.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    templates = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(templates, list) or not all(isinstance(t, str) and "{person}" in t for t in templates):
        raise ConfigError(f"templates {path}: expected 'templates:' listing sentences that each contain {{person}}.")
    return templates
