"""Atomic writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, TextIO

from headstart.errors import ConfigError

RUN_MARKER = "headstart.yaml"
"""Written last into a run directory; its presence means the run is complete."""


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()
"""Read once at import: os.umask can only be read by setting it, which is not thread-safe later on."""

ORDINARY_FILE_MODE = 0o666 & ~_UMASK
"""The mode an ordinary ``open(path, "w")`` gives; mkstemp's temporary files are owner-only until chmod-ed to it."""


@contextmanager
def atomic_open(path: str | Path, newline: str | None = None) -> Iterator[TextIO]:
    """A text handle on a temporary file beside ``path``, renamed onto it only when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file owner-only; give it the mode an ordinary write would have.
        os.chmod(tmp, ORDINARY_FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


class StagedDirectory:
    """Build a directory under a hidden staging name, then move it into place in one rename.

    A crash leaves only ``.NAME.partial`` behind, which no headstart command
    mistakes for a finished run; the next run with the same output replaces it.
    """

    def __init__(self, final: Path, overwrite: bool = False):
        self.final = Path(final)
        self.staging = self.final.parent / f".{self.final.name}.partial"
        if self.final.exists() and not overwrite:
            raise ConfigError(
                f"output folder {self.final} already exists; choose another with --output, or pass --overwrite to replace it."
            )
        self.overwrite = overwrite

    def __enter__(self) -> Path:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir()
        return self.staging

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            return  # leave the partial folder for inspection; it is never taken for a complete run
        if self.final.exists():
            trash = self.final.parent / f".{self.final.name}.old"
            shutil.rmtree(trash, ignore_errors=True)
            os.replace(self.final, trash)
            os.replace(self.staging, self.final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(self.staging, self.final)
