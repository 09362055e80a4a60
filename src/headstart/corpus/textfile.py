"""Plain-text corpora indexed by byte offsets, so a file larger than memory streams from disk.

One pass over the file (in 1 MiB chunks) checks that it decodes and records
where each document starts and ends; afterwards a document is read with one
``seek``. The index holds two integers per document, not the text.
"""

from __future__ import annotations

import codecs
from array import array
from dataclasses import dataclass
from pathlib import Path

from headstart.errors import DataError

CHUNK_BYTES = 1 << 20
SNIFF_BYTES = 1 << 20
LAYOUTS = ("auto", "lines", "paragraphs")


def detect_layout(sample: bytes) -> str:
    """'paragraphs' when blank lines separate blocks of several lines, else 'lines'.

    A file of one document per line may contain stray blank lines; it is read as
    paragraphs only when most blocks between blank lines span more than one line.
    """
    lines = sample.replace(b"\r\n", b"\n").split(b"\n")
    blocks, current = [], 0
    for line in lines:
        if line.strip():
            current += 1
        elif current:
            blocks.append(current)
            current = 0
    if current:
        blocks.append(current)
    if len(blocks) < 2:
        return "lines"
    multi_line = sum(1 for size in blocks if size > 1)
    return "paragraphs" if multi_line > len(blocks) / 2 else "lines"


@dataclass
class TextFileDocuments:
    """Documents of a .txt file, read lazily by byte offset."""

    path: Path
    encoding: str
    layout: str
    spans: array
    """Flat (start, end) byte offsets of each document: 16 bytes a document, whatever its length."""

    def __len__(self) -> int:
        return len(self.spans) // 2

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self):
            raise IndexError(index)
        start, end = self.spans[2 * index], self.spans[2 * index + 1]
        with open(self.path, "rb") as handle:
            handle.seek(start)
            raw = handle.read(end - start)
        text = raw.decode(self.encoding, errors="replace")
        if self.layout == "paragraphs":
            return " ".join(line.strip() for line in text.splitlines() if line.strip())
        return text.strip()

    def byte_length(self, index: int) -> int:
        return self.spans[2 * index + 1] - self.spans[2 * index]


def _undecodable(path: Path, encoding: str, offset: int, line: int, byte: int) -> DataError:
    return DataError(
        f"{path}:{line}: bytes that are not valid {encoding} (byte 0x{byte:02x} at offset {offset}). "
        "Pass the file's real encoding with --encoding (for example --encoding latin-1 or --encoding cp1252), "
        "or re-save the file as UTF-8."
    )


def index_text_file(path: Path, encoding: str = "utf-8", layout: str = "auto") -> TextFileDocuments:
    """Scan ``path`` once: check it is text in ``encoding`` and record each document's byte span.

    Raises:
        DataError: for a binary file (NUL bytes) or bytes that do not decode.
    """
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise DataError(f"unknown encoding '{encoding}' given with --encoding; use a Python codec name such as utf-8 or latin-1.") from None
    with open(path, "rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    if b"\x00" in sample[:65536] and "16" not in encoding and "32" not in encoding:
        raise DataError(f"{path}: looks binary (NUL bytes), not plain text. Is this the right file? A corpus is a .txt file, or a .csv/.jsonl with a text column.")
    if layout == "auto":
        layout = detect_layout(sample)
    spans = array("q")
    doc_start: int | None = None
    doc_end = 0
    offset = 0
    line_number = 0
    pending = b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            final = not chunk
            buffered = decoder.getstate()[0]
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as err:
                position = offset - len(buffered) + err.start
                before = (pending + chunk)[: position - (offset - len(pending))]
                bad = (buffered + chunk)[err.start]
                raise _undecodable(path, encoding, position, line_number + before.count(b"\n") + 1, bad) from None
            data = pending + chunk
            base = offset - len(pending)
            lines = data.split(b"\n")
            pending = b"" if final else lines.pop()
            position = base
            for line in lines:
                line_number += 1
                end = position + len(line)
                if line.strip():
                    if layout == "lines":
                        spans.extend((position, end))
                    elif doc_start is None:
                        doc_start, doc_end = position, end
                    else:
                        doc_end = end
                elif doc_start is not None:
                    spans.extend((doc_start, doc_end))
                    doc_start = None
                position = end + 1
            offset += len(chunk)
            if final:
                break
    if doc_start is not None:
        spans.extend((doc_start, doc_end))
    return TextFileDocuments(path, encoding, layout, spans)
