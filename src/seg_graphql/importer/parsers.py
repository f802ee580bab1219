"""Streaming NDJSON and CSV parsers for imports: memory bounded by one chunk plus the longest
line, every record numbered by its line in the file (1-based, as editors show it).

Parsers yield one list of items per chunk read, not one item at a time: an async generator
step costs about a microsecond, as much as parsing a short line.

A line that cannot be parsed becomes a LineError for that line; parsing goes on. A CSV file
whose header is wrong is a FileError: nothing in it can be read safely.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Iterable
from typing import Any, NamedTuple

import orjson

MAX_LINE_BYTES = 64 * 1024
_BOM = b"\xef\xbb\xbf"
NOT_AN_OBJECT = "each line must be one JSON object"

Line = tuple[int, bytes | None]  # (line number, raw bytes; None when over MAX_LINE_BYTES)


class Record(NamedTuple):  # a tuple: built once per line, so it must be cheap
    line: int
    fields: Any  # dict[str, Any], or the raw JSON bytes (parse_ndjson(decode=False))


class LineError(NamedTuple):
    line: int
    code: str
    message: str


Item = Record | LineError


class FileError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def line_batches(chunks: AsyncIterator[bytes]) -> AsyncIterator[list[Line]]:
    """The lines each chunk completes. Chunks may split lines anywhere; a line longer than
    MAX_LINE_BYTES is reported once (as None) and the rest of it is skipped, never held."""
    pending = b""
    skipping = False  # inside an over-long line already reported
    number = 0
    async for chunk in chunks:
        pieces = (pending + chunk if pending else chunk).split(b"\n")
        pending = pieces.pop()  # the unfinished last line ("" after a final newline)
        if skipping and pieces:
            pieces = pieces[1:]  # the end of the over-long line
            skipping = False
        batch: list[Line] = []
        for raw in pieces:
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                batch.append((number, None))
            else:
                batch.append((number, raw[:-1] if raw.endswith(b"\r") else raw))
        if skipping:
            pending = b""
        elif len(pending) > MAX_LINE_BYTES:
            number += 1
            batch.append((number, None))
            pending, skipping = b"", True
        if batch:
            yield batch
    if pending:
        yield [(number + 1, pending.removesuffix(b"\r"))]


async def parse_ndjson(
    chunks: AsyncIterator[bytes], *, skip_through: int = 0, decode: bool = True
) -> AsyncIterator[list[Item]]:
    """One JSON object per line; blank lines are skipped. Lines up to `skip_through` (a resume
    checkpoint) are counted but not parsed. With decode=False a record's fields are the line's
    raw bytes, for a validator that parses JSON itself (twice as fast as decoding first)."""
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    async for lines in line_batches(chunks):
        items: list[Item] = []
        if lines[0][0] == 1 and (lines[0][1] or b"").startswith(_BOM):
            lines[0] = (1, lines[0][1][len(_BOM) :])
        for number, raw in lines:
            if number <= skip_through:
                continue
            if raw is None:
                items.append(_unreadable(number))
                continue
            if not decode:
                if raw and not raw.isspace():
                    items.append(Record(number, raw))
                continue
            try:
                value = loads(raw)  # orjson also rejects bytes that are not UTF-8
            except decode_error as exc:
                if not raw.strip():
                    continue
                items.append(LineError(number, "MALFORMED_JSON", f"not valid JSON: {exc}"))
                continue
            if type(value) is not dict:
                items.append(LineError(number, "MALFORMED_JSON", NOT_AN_OBJECT))
                continue
            items.append(Record(number, value))
        yield items


async def parse_csv(
    chunks: AsyncIterator[bytes], allowed: Iterable[str], *, skip_through: int = 0
) -> AsyncIterator[list[Item]]:
    """The first line is the header; its names must be among `allowed`, each at most once.
    Empty cells are absent fields. Quoted cells may not span lines (one record, one line).
    The header is read even when resuming past it (`skip_through`)."""
    allowed_names = set(allowed)
    header: list[str] | None = None
    async for lines in line_batches(chunks):
        items: list[Item] = []
        for number, raw in lines:
            if header is not None and number <= skip_through:
                continue
            text = _text(raw)
            if text is None:
                if header is None:
                    raise FileError("BAD_HEADER", "the CSV header is unreadable")
                items.append(_unreadable(number))
                continue
            if not text.strip():
                continue
            try:
                cells = next(csv.reader([text], strict=True))
            except csv.Error as exc:
                if header is None:
                    raise FileError("BAD_HEADER", f"the CSV header is malformed: {exc}") from None
                items.append(LineError(number, "MALFORMED_CSV", f"not a valid CSV line: {exc}"))
                continue
            if header is None:
                header = _check_header(cells, allowed_names)
                continue
            if len(cells) != len(header):
                items.append(
                    LineError(
                        number,
                        "MALFORMED_CSV",
                        f"expected {len(header)} cells as in the header, got {len(cells)}",
                    )
                )
                continue
            items.append(
                Record(
                    number,
                    {name: cell for name, cell in zip(header, cells, strict=True) if cell != ""},
                )
            )
        yield items
    if header is None:
        raise FileError("EMPTY_FILE", "the file is empty: a CSV import needs a header line")


def _text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _unreadable(number: int) -> LineError:
    return LineError(number, "UNREADABLE_LINE", f"longer than {MAX_LINE_BYTES} bytes or not UTF-8")


def _check_header(cells: list[str], allowed: set[str]) -> list[str]:
    names = [cell.strip().lstrip("\ufeff") for cell in cells]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise FileError(
            "BAD_HEADER", f"unknown columns {unknown[:10]}; expected some of {sorted(allowed)}"
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise FileError("BAD_HEADER", f"columns {repeated} appear more than once")
    return names
