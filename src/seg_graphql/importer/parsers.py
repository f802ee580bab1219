"""Streaming NDJSON and CSV parsers for imports: one record at a time, memory bounded by the
longest line, every record numbered by its line in the file (1-based, as editors show it).

A line that cannot be parsed becomes a LineError for that line; parsing goes on. A CSV file
whose header is wrong is a FileError: nothing in it can be read safely.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

MAX_LINE_BYTES = 64 * 1024


class Format(StrEnum):
    NDJSON = "NDJSON"
    CSV = "CSV"


@dataclass(frozen=True)
class Record:
    line: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class LineError:
    line: int
    code: str
    message: str


class FileError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def lines_of(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, str | None]]:
    """(line number, text) per line; text is None for a line over MAX_LINE_BYTES or one that is
    not UTF-8. Chunks may split lines and multi-byte characters anywhere."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    pending = b""
    number = 0
    async for chunk in chunks:
        pending += chunk
        while True:
            cut = pending.find(b"\n")
            if cut < 0:
                if len(pending) > MAX_LINE_BYTES:
                    # keep reading to the end of this over-long line without holding it
                    number += 1
                    yield number, None
                    pending = await _skip_to_newline(chunks)
                    continue
                break
            raw, pending = pending[:cut], pending[cut + 1 :]
            number += 1
            yield number, _decode(decoder, raw) if len(raw) <= MAX_LINE_BYTES else None
    if pending:
        number += 1
        yield number, _decode(decoder, pending) if len(pending) <= MAX_LINE_BYTES else None


async def _skip_to_newline(chunks: AsyncIterator[bytes]) -> bytes:
    """Drops the rest of an over-long line (whose start was dropped already)."""
    pending = b""
    while b"\n" not in pending:
        try:
            pending = await chunks.__anext__()
        except StopAsyncIteration:
            return b""
    return pending[pending.index(b"\n") + 1 :]


def _decode(decoder: codecs.IncrementalDecoder, raw: bytes) -> str | None:
    try:
        decoder.reset()
        return decoder.decode(raw.rstrip(b"\r"), final=True)
    except UnicodeDecodeError:
        return None


async def parse_ndjson(chunks: AsyncIterator[bytes]) -> AsyncIterator[Record | LineError]:
    async for number, text in lines_of(chunks):
        if text is None:
            yield _unreadable(number)
            continue
        if not text.strip():
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            yield LineError(number, "MALFORMED_JSON", f"not valid JSON: {exc}")
            continue
        if not isinstance(value, dict):
            yield LineError(number, "MALFORMED_JSON", "each line must be one JSON object")
            continue
        yield Record(number, value)


async def parse_csv(
    chunks: AsyncIterator[bytes], allowed: Iterable[str]
) -> AsyncIterator[Record | LineError]:
    """The first line is the header; its names must be among `allowed`, each at most once.
    Empty cells are absent fields. Quoted cells may not span lines (one record, one line)."""
    allowed_names = set(allowed)
    header: list[str] | None = None
    async for number, text in lines_of(chunks):
        if text is None:
            if header is None:
                raise FileError("BAD_HEADER", "the CSV header is unreadable")
            yield _unreadable(number)
            continue
        if not text.strip():
            continue
        try:
            cells = next(csv.reader([text], strict=True))
        except csv.Error as exc:
            if header is None:
                raise FileError("BAD_HEADER", f"the CSV header is malformed: {exc}") from None
            yield LineError(number, "MALFORMED_CSV", f"not a valid CSV line: {exc}")
            continue
        if header is None:
            header = _check_header(cells, allowed_names)
            continue
        if len(cells) != len(header):
            yield LineError(
                number,
                "MALFORMED_CSV",
                f"expected {len(header)} cells as in the header, got {len(cells)}",
            )
            continue
        yield Record(
            number, {name: cell for name, cell in zip(header, cells, strict=True) if cell != ""}
        )
    if header is None:
        raise FileError("EMPTY_FILE", "the file is empty: a CSV import needs a header line")


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
