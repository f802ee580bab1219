"""uvicorn, with a deadline on request headers and one send per response.

uvicorn closes a keep-alive connection that idles after a response (`timeout_keep_alive`),
but not a connection that opens and sends nothing, nor one that sends its headers a byte at
a time (slowloris): each holds a socket and a file descriptor forever (measured: 0 of 200
closed after 120 s). Here the headers of every request must arrive whole within the idle
timeout of the connection opening or of the previous response ending.

uvicorn writes a response's head and its body in two calls, i.e. two sends on the socket:
the client wakes up for the head alone, then again for the body. Here the head waits for
the body of the same event-loop turn and both leave in one send (Node's server corks them
likewise); a head whose body is not ready within that turn leaves alone at the turn's end.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeaderDeadlineProtocol(HttpToolsProtocol):
    header_timeout: float = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        previous = self.cycle
        super().on_headers_complete()
        if self.cycle is not None and self.cycle is not previous:
            self.cycle.transport = _HeadWithBody(self.transport, self.loop)  # type: ignore[assignment]

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()  # the next request's headers are due in time too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_late(self) -> None:
        self._header_deadline = None
        in_request = self.cycle is not None and not self.cycle.response_complete
        if not in_request and not self.transport.is_closing():
            self.transport.close()


# A request builds its whole response (objects, dicts, paths) before any of it is freed, so
# at the default threshold (700 net allocations) nearly every request pays a young-generation
# collection; one every ~15 requests costs the same memory as a few more requests in flight.
# Measured: 197 -> 188 us CPU per list request (median of 16 interleaved rounds of 300 of
# bench/asgi_bench.py's request in one process; min 184 -> 174). Instruction counts do not
# change (valgrind): the gain is the cache misses of traversing the young objects.
GC_THRESHOLD = (10_000, 10, 10)


def run(app: Any, *, host: str, port: int, idle_timeout: float, log_level: str) -> None:
    gc.set_threshold(*GC_THRESHOLD)
    protocol = type("SegHttpProtocol", (HeaderDeadlineProtocol,), {"header_timeout": idle_timeout})
    uvicorn.run(
        app,
        host=host,
        port=port,
        http=protocol,
        timeout_keep_alive=idle_timeout,  # type: ignore[arg-type]  # call_later takes floats
        log_level=log_level,
        log_config=None,  # our logging (seg_graphql.logs) formats uvicorn's lines too
        access_log=False,  # the GraphQL endpoint writes its own structured access line
    )


class _HeadWithBody:
    """A response's transport that holds its head until the body's first write."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held + data)
        elif data.startswith(b"HTTP/") and data[9:10] != b"1":  # a head; not 100 Continue
            self._held = data
            self._loop.call_soon(self._flush)
        else:
            self._transport.write(data)

    def _flush(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
