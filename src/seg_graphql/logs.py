"""Logging set-up: every logger (ours, uvicorn's, the driver's) writes through one structlog
formatter, as one JSON object per line (SEG_LOG_FORMAT=json) or as text for a terminal.

Fields passed with `extra=` become keys of the JSON object, or key=value pairs in text.

The access line (one per request: web/access_log.py) takes a shorter road to the same handler:
a structlog-native logger (no LogRecord, no foreign pre-chain scanning the record for extras)
with the same renderer, writing under the handler's lock, so that lines stay whole and in order.
Per list request (bench/icount.py), the text line went from 0.31M to 0.12M instructions,
the JSON line from 0.21M to 0.07M. JSON is rendered by orjson: compact, no spaces."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import orjson
import structlog
from structlog.dev import Column, ConsoleRenderer

ACCESS = "seg_graphql.access"


def configure_logging(level: str, log_format: str) -> None:
    global _access
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    render: Any
    if log_format == "json":
        render = structlog.processors.JSONRenderer(serializer=_dumps)
        final: list[Any] = [structlog.processors.format_exc_info, render]
    else:
        render = console_renderer()
        final = [render]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []  # theirs propagate to ours
    _access = structlog.wrap_logger(
        _HandlerWriter(handler),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            render,
        ],
        # Fixed at configuration, as the access logger's level was read there too.
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLogger(ACCESS).getEffectiveLevel()
        ),
    ).bind(event="", level="", logger=ACCESS)  # placeholders: the keys' order of other lines


def access_logger() -> Any:
    """The access line's logger: after configure_logging, the shorter road; before it (a test,
    an app embedded elsewhere), stdlib logging with the fields as the record's extras."""
    return _access


_access: Any = structlog.wrap_logger(
    logging.getLogger(ACCESS),
    processors=[structlog.stdlib.filter_by_level, structlog.stdlib.render_to_log_kwargs],
    wrapper_class=structlog.stdlib.BoundLogger,
).bind()


def console_renderer() -> ConsoleRenderer:
    """structlog's monochrome console line, its columns formatted by plain f-strings: the stock
    formatters build a StringIO per key, 60% of a line's cost. Same bytes (tests/unit/test_logs.py
    holds it to the stock renderer)."""
    stock = ConsoleRenderer(colors=False)
    by_key = {column.key: column.formatter for column in stock.columns}
    columns = [
        Column("", lambda key, value: f"{key}={_console_value(value)}"),
        Column("timestamp", lambda _key, value: str(value)),
        Column("level", by_key["level"]),
        Column("event", lambda _key, value: str(value).ljust(_EVENT_WIDTH)),
        Column("logger", lambda _key, value: f"[{value}]"),
        Column("logger_name", lambda _key, value: f"[{value}]"),
    ]
    return ConsoleRenderer(columns=columns, exception_formatter=stock.exception_formatter)


_EVENT_WIDTH = 30  # structlog's default padding of the message
_QUOTED = frozenset(" \t=\r\n\"'")


def _console_value(value: Any) -> str:
    """As ConsoleRenderer: a string is shown bare unless it holds a space, quote or `=`."""
    if isinstance(value, str) and _QUOTED.isdisjoint(value):
        return value
    return repr(value)


def _dumps(event: dict[str, Any], default: Any = None, **_: Any) -> str:
    try:
        return orjson.dumps(event, default=default, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # what orjson refuses (an int past 64 bits...), json renders
        return json.dumps(event, default=default)


class _HandlerWriter:
    """structlog's logger interface onto the formatter's handler: its current stream, its lock."""

    def __init__(self, handler: logging.StreamHandler) -> None:  # type: ignore[type-arg]
        self._handler = handler

    def msg(self, line: str) -> None:
        handler = self._handler
        try:
            with handler.lock:  # type: ignore[union-attr]
                handler.stream.write(line + handler.terminator)
                handler.flush()
        except Exception:
            handler.handleError(logging.makeLogRecord({"name": ACCESS, "msg": line}))

    debug = info = warning = error = critical = exception = msg


def _drop_color_message(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    event.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
    return event
