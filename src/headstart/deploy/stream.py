"""Read a large table in chunks and write predictions as they come, atomically.

``predict --file`` must not hold a million-row file (or its predictions) in memory:
CSV/TSV and JSON-lines files are read row by row, Parquet by record batch, and
each chunk's predictions are written before the next chunk is read. The output
goes to a hidden temporary file beside the target and is renamed into place only
when every row is written, so a crash or Ctrl-C never leaves half a file.
"""

from __future__ import annotations

import csv
import json
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, TextIO

from headstart.data.readers import Table, file_format, read_table
from headstart.errors import DataError
from headstart.runs.atomic import atomic_open


@dataclass
class RowStream:
    """A table's columns, its row count if cheaply known, and its rows in chunks."""

    path: Path
    columns: list[str]
    first: list[dict[str, Any]]
    """The first chunk (already read, to find the columns)."""
    rest: Iterator[list[dict[str, Any]]]
    total: int | None

    def chunks(self) -> Iterator[list[dict[str, Any]]]:
        if self.first:
            yield self.first
        yield from self.rest

    def sample(self) -> Table:
        """The first chunk as a Table, for column detection."""
        return Table(self.path, self.columns, self.first, list(range(1, len(self.first) + 1)))


def _count_lines(path: Path) -> int:
    count = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return count


def _chunked(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _delimited_rows(path: Path, encoding: str, delimiter: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    handle = open(path, encoding=encoding, newline="")
    reader = csv.reader(handle, delimiter=delimiter, quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
    kind = "TSV" if delimiter == "\t" else "CSV"
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        handle.close()
        raise DataError(f"{path}: the file is empty; expected a header line naming the columns, then one text per line.") from None
    except UnicodeDecodeError as err:
        handle.close()
        raise DataError(f"{path}: bytes that are not valid {encoding} ({err.reason}). Pass the file's real encoding with --encoding.") from None

    def rows() -> Iterator[dict[str, Any]]:
        with handle:
            try:
                for record in reader:
                    if not record or all(not cell.strip() for cell in record):
                        continue
                    yield {name: (record[i] if i < len(record) else None) for i, name in enumerate(header)}
            except csv.Error as err:
                raise DataError(f"{path}:{reader.line_num}: malformed {kind} ({err}). Check the quoting on that line.") from None
            except UnicodeDecodeError as err:
                raise DataError(f"{path}: near line {reader.line_num}: bytes that are not valid {encoding} ({err.reason}). Pass the file's real encoding with --encoding.") from None

    return header, rows()


def _jsonl_rows(path: Path, encoding: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding=encoding) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}:{number}: invalid JSON ({err.msg}); expected one JSON object per line.") from None
            if not isinstance(record, dict):
                raise DataError(f"{path}:{number}: expected a JSON object like {{\"text\": ...}}, found {type(record).__name__}.")
            yield record


def _is_line_delimited_json(path: Path, encoding: str) -> bool:
    """False for a JSON array or pretty-printed objects, which are read whole (they are not a large-file format)."""
    with open(path, encoding=encoding, errors="replace") as handle:
        for line in handle:
            if line.strip():
                stripped = line.strip()
                return stripped.startswith("{") and stripped.endswith("}")
    return True


def _parquet_chunks(path: Path, size: int) -> tuple[list[str], int, Iterator[list[dict[str, Any]]]]:
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several types for corrupt files
        raise DataError(f"{path}: not a readable Parquet file ({err}).") from None
    return list(handle.schema_arrow.names), handle.metadata.num_rows, (batch.to_pylist() for batch in handle.iter_batches(batch_size=size))


def stream_rows(path: str | Path, encoding: str = "utf-8", chunk_rows: int = 1024) -> RowStream:
    """Open ``path`` for chunked reading; the first chunk is read now (columns and errors show early)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file. Give a .csv, .tsv, .jsonl or .parquet file with a text column.")
    fmt = file_format(path)
    total: int | None
    if fmt == "parquet":
        columns, total, chunks = _parquet_chunks(path, chunk_rows)
    elif fmt == "jsonl" and not _is_line_delimited_json(path, encoding):
        table = read_table(path, encoding)
        columns, total, chunks = table.columns, len(table.rows), iter([table.rows[i : i + chunk_rows] for i in range(0, len(table.rows), chunk_rows)])
    elif fmt == "jsonl":
        chunks = _chunked(_jsonl_rows(path, encoding), chunk_rows)
        first = next(chunks, [])
        seen: dict[str, None] = {}
        for row in first:
            seen.update(dict.fromkeys(row))
        return RowStream(path, list(seen), first, chunks, _count_lines(path))
    else:
        columns, rows = _delimited_rows(path, encoding, "\t" if fmt == "tsv" else ",")
        chunks, total = _chunked(rows, chunk_rows), max(_count_lines(path) - 1, 0)
    return RowStream(path, columns, next(chunks, []), chunks, total)


class RowWriter:
    """Writes result rows as CSV, TSV or JSON lines to an open text handle."""

    def __init__(self, handle: TextIO, columns: list[str], fmt: str):
        self.handle, self.columns, self.fmt = handle, columns, fmt
        self.count = 0
        if fmt in ("csv", "tsv"):
            self.writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
            self.writer.writeheader()

    def write(self, rows: list[dict[str, Any]]) -> None:
        if self.fmt == "jsonl":
            self.handle.writelines(json.dumps(row, default=str, ensure_ascii=False) + "\n" for row in rows)
        else:
            self.writer.writerows(rows)
        self.count += len(rows)


def output_format(out: str | Path | None, json_lines: bool) -> str:
    """'jsonl' for --json or a .jsonl/.json/.ndjson --out, 'tsv' for .tsv, else 'csv'."""
    if json_lines:
        return "jsonl"
    suffix = Path(out).suffix.lower() if out else ""
    return {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".tsv": "tsv"}.get(suffix, "csv")


@contextmanager
def atomic_output(out: str | Path | None) -> Iterator[TextIO]:
    """A text handle on a temporary file renamed to ``out`` on success (stdout when ``out`` is None)."""
    if out is None:
        yield sys.stdout
        return
    with atomic_open(out, newline="") as handle:
        yield handle
