"""serve's logging: the access line's shorter road writes the same fields, in both formats, on
the one stream in order with every other logger's lines; the text renderer's faster columns give
structlog's own bytes."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator

import pytest
import structlog

from seg_graphql import logs
from seg_graphql.web.access_log import AccessRecord

FIELDS = {"request_id", "tenant", "operation", "method", "status", "duration_ms", "error_codes"}
FIELDS |= {"level", "logger", "timestamp", "event"}


@pytest.fixture
def configured() -> Iterator[io.StringIO]:
    """configure_logging as serve calls it, the handler's stream swapped for a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logs._access
    stream = io.StringIO()

    def configure(log_format: str) -> io.StringIO:
        logs.configure_logging("info", log_format)
        root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
        return stream

    yield configure  # type: ignore[misc]
    root.handlers, logs._access = saved[0], saved[2]
    root.setLevel(saved[1])


def _record(**changes: object) -> AccessRecord:
    record = AccessRecord(request_id="r1", method="POST", tenant="acme", operation="Who")
    record.status = 200
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def _interleaved() -> None:
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 7)
    _record().write(0.01234)
    logging.getLogger("seg_graphql.errors").warning("a fault", extra={"request_id": "r2"})
    _record(request_id="r3", tenant=None, operation=None, codes=["NOT_FOUND", "BAD"]).write(0.5)


def test_json_access_lines_keep_every_field_in_order_with_other_loggers(configured):
    stream = configured("json")
    _interleaved()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == [
        "uvicorn.error",
        "seg_graphql.access",
        "seg_graphql.errors",
        "seg_graphql.access",
    ]
    first, second = lines[1], lines[3]
    assert list(first)[:3] == list(lines[0])[:3] == ["event", "level", "logger"]
    assert set(first) == set(second) == FIELDS
    assert first["event"] == "POST 200 Who -" and first["level"] == "info"
    assert (first["request_id"], first["tenant"], first["operation"]) == ("r1", "acme", "Who")
    assert (first["method"], first["status"], first["error_codes"]) == ("POST", 200, [])
    assert first["duration_ms"] == 12.34 and first["timestamp"].endswith("Z")
    assert second["event"] == "POST 200 - NOT_FOUND,BAD"
    assert (second["tenant"], second["operation"]) == (None, None)
    assert second["error_codes"] == ["NOT_FOUND", "BAD"] and second["duration_ms"] == 500.0
    assert lines[2]["request_id"] == "r2" and lines[0]["event"] == "Started server process [7]"


def test_text_access_lines_are_structlogs_console_lines(configured):
    stream = configured("text")
    _interleaved()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \[info     \] POST 200 Who - {17}"
        r"\[seg_graphql\.access\] duration_ms=12\.34 error_codes=\[\] method=POST "
        r"operation=Who request_id=r1 status=200 tenant=acme",
        lines[1],
    ), lines[1]
    assert "[uvicorn.error]" in lines[0] and "[seg_graphql.errors]" in lines[2]
    assert lines[3].endswith(
        "error_codes=['NOT_FOUND', 'BAD'] method=POST operation=None request_id=r3 "
        "status=200 tenant=None"
    )


def test_no_access_line_below_the_level(configured):
    stream = configured("json")
    logs.configure_logging("warning", "json")
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    _record().write(0.1)
    logging.getLogger("seg_graphql.errors").warning("kept")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["kept"]


def test_unconfigured_access_lines_are_stdlib_records_with_the_fields(caplog):
    with caplog.at_level(logging.INFO, logger="seg_graphql.access"):
        _record(codes=["NOT_FOUND"]).write(0.002)
    (record,) = [r for r in caplog.records if r.name == "seg_graphql.access"]
    assert record.getMessage() == "POST 200 Who NOT_FOUND"
    assert (record.request_id, record.tenant, record.status) == ("r1", "acme", 200)  # type: ignore[attr-defined]
    assert (record.duration_ms, record.error_codes) == (2.0, ["NOT_FOUND"])  # type: ignore[attr-defined]


EVENTS = [
    {"event": "POST 200 List -", "level": "info", "logger": "seg_graphql.access", "a": 1},
    {"event": "x" * 40, "level": "warning", "timestamp": "2026-01-01T00:00:00Z", "b": None},
    {"event": "", "level": "critical", "logger_name": "n", "s": "two words", "q": "it's"},
    {"event": 7, "k": 'a"b', "eq": "a=b", "t": "\t", "nl": "a\nb", "e": "", "u": "ünï"},
    {"level": "debug", "f": 0.1, "l": ["a", 1], "d": {"k": "v"}, "n": -3, "b": True},
    {"event": "no level", "logger": "x.y", "z": b"bytes", "o": KeyError("k")},
]


@pytest.mark.parametrize("event", EVENTS)
def test_console_renderer_gives_structlogs_bytes(event):
    stock = structlog.dev.ConsoleRenderer(colors=False)
    assert logs.console_renderer()(None, "info", dict(event)) == stock(None, "info", dict(event))


def _failed() -> object:
    try:
        raise ValueError("boom")
    except ValueError:
        return sys.exc_info()


def test_console_renderer_gives_structlogs_tracebacks():
    exc_info = _failed()
    event = {"event": "failed", "level": "error", "exc_info": exc_info, "stack": "in here"}
    stock = structlog.dev.ConsoleRenderer(colors=False)
    ours = logs.console_renderer()(None, "error", dict(event))
    assert ours == stock(None, "error", dict(event)) and "ValueError: boom" in ours


def test_json_lines_render_what_orjson_refuses(configured):
    stream = configured("json")
    logging.getLogger("seg_graphql").info("big", extra={"n": 2**70, "o": {1: object}})
    line = json.loads(stream.getvalue())
    assert line["n"] == 2**70 and line["event"] == "big"
