"""Generate argparse options from typed dataclasses, with help from their field docstrings.

Each dataclass field becomes ``--field-name``; the string literal under a field
is its help text. ``--config FILE.yaml`` sets any option from a file (CLI flags win).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import textwrap
import types
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from headstart.errors import ConfigError


PATH_FIELDS = {"train", "validation", "test", "unlabeled"}


@lru_cache(maxsize=None)
def field_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings (the string literal after each field) of a dataclass."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, following in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant) and isinstance(following.value.value, str):
                docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def _base_type(annotation: Any) -> tuple[type, bool]:
    """(scalar type, optional?) of a field annotation like ``int | None``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0], True
    return annotation, False


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type, skip: tuple[str, ...] = ()) -> None:
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    group = parser.add_argument_group(cls.__doc__.strip().splitlines()[0] if cls.__doc__ else cls.__name__)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        kind, optional = _base_type(hints[f.name])
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not dataclasses.MISSING else None
        help_text = docs.get(f.name, "")
        if kind is bool:
            group.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=default, help=help_text)
        elif typing.get_origin(kind) is typing.Literal:
            choices = typing.get_args(kind)
            group.add_argument(flag, dest=f.name, choices=choices, default=default, help=help_text + f" [default: {default}]")
        else:
            metavar = {int: "N", float: "X", str: "PATH" if f.name in PATH_FIELDS else "TEXT"}.get(kind, "VALUE")
            suffix = "" if default is None else f" [default: {default}]"
            group.add_argument(flag, dest=f.name, type=kind, default=default, metavar=metavar, help=help_text + suffix)


def build_dataclass(cls: type, namespace: argparse.Namespace) -> Any:
    values = {f.name: getattr(namespace, f.name) for f in dataclasses.fields(cls) if hasattr(namespace, f.name)}
    return cls(**values)


def apply_config_file(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """Set parser defaults from ``--config FILE`` (a YAML mapping of option names to values)."""
    if "--config" not in argv:
        return
    position = argv.index("--config")
    if position + 1 >= len(argv):
        raise ConfigError("--config needs a YAML file path.")
    path = Path(argv[position + 1])
    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file.")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"--config {path}: not valid YAML ({err}).") from None
    if not isinstance(values, dict):
        raise ConfigError(f"--config {path}: expected a mapping of option names to values, found {type(values).__name__}.")
    known = {action.dest for action in parser._actions}
    normalised = {str(key).replace("-", "_"): value for key, value in values.items()}
    unknown = sorted(k for k in normalised if k not in known)
    if unknown:
        raise ConfigError(f"--config {path}: unknown option(s) {', '.join(unknown)}. See --help for the option names.")
    parser.set_defaults(**normalised)
