"""Streaming import parsers: line numbers, split chunks, bad lines, bad headers."""

from __future__ import annotations

import pytest

from seg_graphql.importer.parsers import (
    MAX_LINE_BYTES,
    FileError,
    LineError,
    Record,
    parse_csv,
    parse_ndjson,
)


async def chunks(data: bytes, size: int):
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def collect(parser):
    return [item async for batch in parser for item in batch]


@pytest.mark.parametrize("size", [1, 3, 7, 1024])
async def test_ndjson_records_and_errors_keep_their_line_numbers(size):
    data = (
        '{"operation": "UPDATE", "name": "é"}\n'
        "\n"
        "{not json}\n"
        "[1, 2]\n"
        '{"operation": "DELETE"}\r\n'
        '{"last": true}'
    ).encode()
    items = await collect(parse_ndjson(chunks(data, size)))
    assert items == [
        Record(1, {"operation": "UPDATE", "name": "é"}),
        LineError(3, "MALFORMED_JSON", items[1].message),
        LineError(4, "MALFORMED_JSON", "each line must be one JSON object"),
        Record(5, {"operation": "DELETE"}),
        Record(6, {"last": True}),
    ]


async def test_over_long_and_non_utf8_lines_are_line_errors():
    data = b'{"a": 1}\n' + b'{"b": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}\n\xff\xfe\n{"c": 3}\n'
    items = await collect(parse_ndjson(chunks(data, 4096)))
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Record", 1),
        ("LineError", 2),
        ("LineError", 3),
        ("Record", 4),
    ]


async def test_csv_with_header_and_empty_cells():
    data = b"operation,segment_id,email_hash,expiration_duration\nUPDATE,5,h1,0\nDELETE,,h2,\n"
    items = await collect(
        parse_csv(chunks(data, 5), {"operation", "segment_id", "email_hash", "expiration_duration"})
    )
    assert items == [
        Record(
            2,
            {
                "operation": "UPDATE",
                "segment_id": "5",
                "email_hash": "h1",
                "expiration_duration": "0",
            },
        ),
        Record(3, {"operation": "DELETE", "email_hash": "h2"}),
    ]


async def test_csv_quoted_cells_and_wrong_cell_counts():
    data = b'operation,data_bag\nUPDATE,"{""k"": 1}"\nUPDATE\nUPDATE,"unterminated\n'
    items = await collect(parse_csv(chunks(data, 64), {"operation", "data_bag"}))
    assert items[0] == Record(2, {"operation": "UPDATE", "data_bag": '{"k": 1}'})
    assert [(type(i).__name__, i.line) for i in items[1:]] == [("LineError", 3), ("LineError", 4)]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "EMPTY_FILE"),
        (b"\n\n", "EMPTY_FILE"),
        (b"operation,password\nUPDATE,x\n", "BAD_HEADER"),
        (b"operation,operation\n", "BAD_HEADER"),
    ],
)
async def test_csv_file_errors(data, code):
    with pytest.raises(FileError) as caught:
        await collect(parse_csv(chunks(data, 8), {"operation"}))
    assert caught.value.code == code


async def test_csv_header_may_start_with_a_byte_order_mark():
    data = "\ufeffoperation\nUPDATE\n".encode()
    assert await collect(parse_csv(chunks(data, 2), {"operation"})) == [
        Record(2, {"operation": "UPDATE"})
    ]


async def test_an_over_long_line_split_across_many_chunks_is_dropped_not_held():
    data = b'{"a": 1}\n' + b"y" * (3 * MAX_LINE_BYTES) + b'\n{"b": 2}\n'
    items = await collect(parse_ndjson(chunks(data, 1000)))
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Record", 1),
        ("LineError", 2),
        ("Record", 3),
    ]


async def test_ndjson_raw_mode_hands_over_the_bytes_of_each_line():
    data = b'\xef\xbb\xbf{"a": 1}\n\n  \n{oops\r\n' + b"x" * (MAX_LINE_BYTES + 1) + b"\n[1]"
    items = await collect(parse_ndjson(chunks(data, 5), decode=False))
    assert items == [
        Record(1, b'{"a": 1}'),
        Record(4, b"{oops"),
        LineError(5, "UNREADABLE_LINE", items[2].message),
        Record(6, b"[1]"),
    ]
    resumed = await collect(parse_ndjson(chunks(data, 5), decode=False, skip_through=4))
    assert [i.line for i in resumed] == [5, 6]
