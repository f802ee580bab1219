"""Our server's own CPU per request, without sockets: the ASGI app (middlewares, endpoint, key
check, admission, execution, JSON, access log, metrics) called directly with the HTTP
benchmark's requests, over the same in-memory data.

What the HTTP benchmark cannot show on a shared machine: CPU time per request
(time.process_time, so other processes count less), and with --profile, where it goes by
layer (cProfile, own time per function). With --log the access log is written as `serve`
writes it (level info, to a file, text or json); without it, logging is left unconfigured,
as in the HTTP benchmark. Nothing is asserted.

    python bench/asgi_bench.py [--query list] [--requests 2000] [--rounds 5]
                               [--log text|json] [--profile | --fixed N]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import gc
import json
import logging
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import http_bench

# First match wins, on the function's file.
LAYERS = [
    ("compiled execution", "seg_graphql/execution/"),
    ("resolvers, services, domain", "seg_graphql/graphql/"),
    ("resolvers, services, domain", "seg_graphql/services/"),
    ("resolvers, services, domain", "seg_graphql/domain/"),
    ("bench in-memory store", "http_bench.py"),
    ("access log", "seg_graphql/web/access_log.py"),
    ("metrics", "seg_graphql/web/metrics.py"),
    ("endpoint", "seg_graphql/web/"),
    ("graphql-core", "graphql/"),
    ("strawberry", "strawberry/"),
    ("starlette", "starlette/"),
    ("prometheus client", "prometheus_client/"),
    ("logging, structlog", "logging/"),
    ("logging, structlog", "structlog/"),
    ("pymongo (timeout)", "pymongo/"),
    ("asyncio", "asyncio/"),
]


def _layer(filename: str) -> str:
    for name, marker in LAYERS:
        if marker in filename:
            return name
    return "other (builtins, stdlib)"


class _Client:
    """Calls the ASGI app as uvicorn would, one request at a time."""

    def __init__(self, app: Any, name: str) -> None:
        self.app = app
        body = {"query": http_bench.QUERIES[name], "operationName": "List"}
        if name in http_bench.VARIABLES:
            body["variables"] = http_bench.VARIABLES[name]
        self.body = json.dumps(body).encode()
        self.headers = [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self.body)).encode()),
            (b"connection", b"keep-alive"),
            (b"authorization", f"Bearer {http_bench.KEY}".encode()),
        ]

    async def post(self) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "scheme": "http",
            "method": "POST",
            "root_path": "",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "headers": self.headers,
            "state": {},
        }
        sent: list[dict[str, Any]] = []
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # a disconnect never comes
            delivered = True
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def _lifespan(app: Any) -> tuple[asyncio.Queue, asyncio.Task]:
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    task = asyncio.ensure_future(app({"type": "lifespan", "state": {}}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    return inbox, task


async def _run(args: argparse.Namespace) -> None:
    app = http_bench.build_app("ours")
    inbox, lifespan = await _lifespan(app)
    client = _Client(app, args.query)
    for _ in range(50):  # plan the document, fill the caches
        status, body = await client.post()
    assert status == 200 and b'"errors"' not in body, body[:500]
    gc.collect()  # as `seg-graphql serve` does, and with its collector thresholds (if any)
    gc.freeze()
    from seg_graphql.web import serving

    gc.set_threshold(*getattr(serving, "GC_THRESHOLD", gc.get_threshold()))
    if args.fixed is not None:  # for bench/icount.py: exactly N more requests, no collector
        gc.disable()
        for _ in range(args.fixed):
            await client.post()
    elif args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            await client.post()
        profiler.disable()
        _print_profile(profiler, args.requests)
    else:
        per_request = []
        for _ in range(args.rounds):
            started = time.process_time()
            for _ in range(args.requests):
                await client.post()
            per_request.append((time.process_time() - started) / args.requests * 1e6)
        print(
            f"{args.query}: {statistics.median(per_request):.0f} us CPU per request "
            f"(median of {args.rounds} rounds x {args.requests}; rounds "
            f"{', '.join(f'{t:.0f}' for t in per_request)})"
        )
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan


def _print_profile(profiler: cProfile.Profile, requests: int) -> None:
    stats = pstats.Stats(profiler)
    layers: collections.Counter[str] = collections.Counter()
    functions: collections.Counter[str] = collections.Counter()
    total = 0.0
    for (filename, line, name), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        layers[_layer(filename)] += own
        functions[f"{name} ({Path(filename).name}:{line})"] += own
        total += own
    print(f"cProfile own time: {total / requests * 1e6:.0f} us per request (profiled)")
    for name, own in layers.most_common():
        print(f"  {own / total:6.1%}  {own / requests * 1e6:6.1f} us  {name}")
    print("  functions holding the most time themselves:")
    for name, own in functions.most_common(25):
        print(f"  {own / total:6.1%}  {own / requests * 1e6:6.1f} us  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--query", choices=list(http_bench.QUERIES), default="list")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--log", choices=["text", "json"], help="write the access log as serve")
    parser.add_argument("--profile", action="store_true", help="cProfile by layer instead")
    parser.add_argument(
        "--fixed", type=int, metavar="N", help="N requests after warm-up, collector off, no figure"
    )
    args = parser.parse_args()
    if args.log:
        from seg_graphql.logs import configure_logging

        log_file = Path(tempfile.mkdtemp(prefix="seg-asgi-")) / "server.log"
        configure_logging("info", args.log)
        stream = log_file.open("a")
        for handler in logging.getLogger().handlers:
            handler.setStream(stream)  # type: ignore[attr-defined]
        print(f"access log: {log_file}", file=sys.stderr)
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()
