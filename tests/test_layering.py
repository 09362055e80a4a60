"""Data flows one way: nothing outside headstart.cli imports headstart.cli."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "headstart"


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_cli_imports_cli():
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "cli" not in path.relative_to(SRC).parts and any(m.startswith("headstart.cli") for m in imported_modules(path))
    ]
    assert offenders == []


def test_no_pickle_loading_or_remote_code():
    bad = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "torch.load(" in text or "trust_remote_code=True" in text or "pickle.load" in text:
            bad.append(str(path.relative_to(SRC)))
    assert bad == []


def test_files_stay_small():
    big = [f"{p.relative_to(SRC)} ({n})" for p in SRC.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400]
    assert big == []
