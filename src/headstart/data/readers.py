"""Read tabular files (CSV, TSV, JSONL, Parquet) into rows that remember their line numbers.

Line numbers matter: every data problem headstart reports names the file and the
line a user can open in an editor.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headstart.errors import DataError

SUPPORTED_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class Table:
    """Rows of one file, each with the 1-based line (or row) number it came from."""

    path: Path
    columns: list[str]
    rows: list[dict[str, Any]]
    lines: list[int]
    line_kind: str = "line"
    """'line' for text formats, 'row' for Parquet."""

    def where(self, index: int) -> str:
        return f"{self.path}:{self.lines[index]}" if self.line_kind == "line" else f"{self.path} row {self.lines[index]}"


def file_format(path: Path) -> str:
    fmt = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"{path}: unsupported file type '{path.suffix or '(none)'}'. "
            f"Expected one of: {', '.join(sorted(SUPPORTED_SUFFIXES))}. Convert the file or rename it to match its format."
        )
    return fmt


def _decode(path: Path, raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(
            f"{path}:{line}: bytes that are not valid {encoding} (byte 0x{raw[err.start]:02x} at offset {err.start}). "
            "Pass the file's real encoding with --encoding (for example --encoding latin-1 or --encoding cp1252), "
            "or re-save the file as UTF-8."
        ) from None
    except LookupError:
        raise DataError(f"unknown encoding '{encoding}' given with --encoding; use a Python codec name such as utf-8 or latin-1.") from None


_CSV_QUOTED_FIELD = re.compile(r'^"(?:[^"]|"")*"$', re.DOTALL)


def _tsv_uses_csv_quoting(table: Table) -> bool:
    """Whether a TSV read verbatim has CSV-quoted fields (pandas / HF datasets exports).

    GLUE's own TSVs are unquoted: a text may start with a lone '"' (MRPC, RTE), so
    verbatim is the default; only a file whose every field starting with '"' is a
    whole CSV-quoted field ('"..."' with inner quotes doubled) is re-read with quoting.
    """
    opening = [value for row in table.rows for value in row.values() if isinstance(value, str) and value.startswith('"')]
    return bool(opening) and all(len(value) > 1 and _CSV_QUOTED_FIELD.match(value) for value in opening)


def _read_delimited(path: Path, text: str, delimiter: str) -> Table:
    table = _read_records(path, text, delimiter, csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
    if delimiter == "\t" and _tsv_uses_csv_quoting(table):
        return _read_records(path, text, delimiter, csv.QUOTE_MINIMAL)
    return table


def _read_records(path: Path, text: str, delimiter: str, quoting: int) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{path}: the file is empty; expected a header line naming the columns, then one example per line.") from None
    header = [h.strip() for h in header]
    rows, lines = [], []
    start = reader.line_num
    try:
        for record in reader:
            line = start + 1
            start = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            rows.append({name: (record[i] if i < len(record) else None) for i, name in enumerate(header)})
            lines.append(line)
    except csv.Error as err:
        raise DataError(f"{path}:{reader.line_num}: malformed {'TSV' if delimiter == chr(9) else 'CSV'} ({err}). Check the quoting on that line.") from None
    return Table(path, header, rows, lines)


def _keyed_records(text: str) -> list[tuple[int, dict]] | None:
    """A JSON object of objects (``{"0": {"text_a": ...}, "1": ...}``, as LM-BFF/GLUE json exports), with the line of each key."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(document, dict) or not document or not all(isinstance(v, dict) for v in document.values()):
        return None
    records, position, line = [], 0, 1
    for key, record in document.items():
        found = re.compile(r"^[ \t]*" + re.escape(json.dumps(key)) + r"\s*:", re.MULTILINE).search(text, position)
        if found:
            line += text.count("\n", position, found.start())
            position = found.start()
        records.append((line, record))
    return records


def _read_jsonl(path: Path, text: str) -> Table:
    stripped = text.lstrip()
    keyed = _keyed_records(text) if stripped.startswith("{") and not stripped.split("\n", 1)[0].rstrip().endswith("}") else None
    if keyed is not None:
        pairs, kind = keyed, "line"
    elif stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{err.lineno}: invalid JSON ({err.msg}).") from None
        pairs = [(i + 1, r) for i, r in enumerate(records)]
        kind = "row"
    else:
        pairs, kind = [], "line"
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                pairs.append((number, json.loads(line)))
            except json.JSONDecodeError as err:
                raise DataError(f"{path}:{number}: invalid JSON ({err.msg}); expected one JSON object per line.") from None
    columns: dict[str, None] = {}
    for number, record in pairs:
        if not isinstance(record, dict):
            raise DataError(f"{path}:{number}: expected a JSON object like {{\"text\": ..., \"label\": ...}}, found {type(record).__name__}.")
        columns.update(dict.fromkeys(record))
    return Table(path, list(columns), [r for _, r in pairs], [n for n, _ in pairs], kind)


def _read_parquet(path: Path) -> Table:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for corrupt files
        raise DataError(f"{path}: not a readable Parquet file ({err}).") from None
    rows = table.to_pylist()
    return Table(path, list(table.column_names), rows, list(range(1, len(rows) + 1)), "row")


def read_table(path: str | Path, encoding: str = "utf-8") -> Table:
    """Read one data file.

    Args:
        path: A .csv, .tsv, .jsonl/.json or .parquet file.
        encoding: Text encoding for the text formats; a UTF-8 byte-order mark is accepted.

    Raises:
        DataError: naming the file and line, for missing, empty, undecodable or malformed files.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file. Check the path (relative paths are taken from {Path.cwd()}).")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a data file (.csv, .tsv, .jsonl or .parquet).")
    fmt = file_format(path)
    if fmt == "parquet":
        table = _read_parquet(path)
    else:
        raw = path.read_bytes()
        if not raw.strip():
            raise DataError(f"{path}: the file is empty; expected a header line and one example per line.")
        if b"\x00" in raw[:4096] and fmt != "parquet":
            raise DataError(f"{path}: looks binary (NUL bytes), not {fmt.upper()} text. Is this the right file?")
        text = _decode(path, raw, encoding)
        if text.startswith("\ufeff"):
            text = text[1:]
        elif text.startswith("\u00ef\u00bb\u00bf"):  # a BOM decoded as cp1252 and re-saved as UTF-8 (MSRP corpus files)
            text = text[3:]
        if fmt == "jsonl":
            table = _read_jsonl(path, text)
        else:
            table = _read_delimited(path, text, "\t" if fmt == "tsv" else ",")
    if not table.rows:
        raise DataError(f"{path}: has a header ({', '.join(table.columns)}) but no examples.")
    return table
