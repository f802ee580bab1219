"""GraphQL-over-HTTP throughput: seg-graphql's endpoint vs stock Strawberry, same schema and data.

Three servers, each one uvicorn worker in its own process, serve the same 50 segments from the
same in-memory objects behind the store interface (the embedded mock is never a benchmark
backend) and authenticate the same API key:
  ours          the lean endpoint, ParserCache + ValidationCache + cached limit rule, orjson
  stock         strawberry.asgi.GraphQL with no extensions
  stock+limits  strawberry.asgi.GraphQL with QueryDepthLimiter, MaxAliasesLimiter, MaxTokensLimiter
A load generator in a separate process sends 50-item list queries (a picker's 3 fields, and
every field); servers are measured in
interleaved rounds (A B C A B C ...) and the medians and ratios are printed. Nothing is asserted.

    python bench/http_bench.py [--seconds 5] [--rounds 3] [--connections 16] [--query list full]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEY = "sgk_benchmark_key_0123456789abcdefghij"
QUERIES = {
    # what a segment picker asks for: ~150 fields per response
    "list": """query List { segments(first: 50) { edges { node { id name type } } } }""",
    # every field of every segment, rules included: ~1,200 fields per response
    "full": """query List { segments(first: 50) { edges { cursor node {
  id technicalName name type editableBy isDefault teamId createdAt updatedAt fql
  rules { include { field operator value } exclude { field operator value } }
} } pageInfo { hasNextPage endCursor } } }""",
}


# ------------------------------------------------------------------ server side


def _segments() -> list[Any]:
    from seg_graphql.domain.models import (
        Criterion,
        EditableBy,
        Operator,
        Rules,
        Segment,
        SegmentType,
    )

    now = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Segment(
            tenant="bench",
            id=i,
            technical_name=f"segment-{i}",
            name=f"Segment {i}",
            type=SegmentType.DYNAMIC,
            editable_by=EditableBy.ADMIN,
            created_at=now,
            updated_at=now,
            team_id="7",
            rules=Rules(
                include=(
                    Criterion("tier", Operator.IN, ["gold", "platinum"]),
                    Criterion("points", Operator.GTE, i * 10),
                ),
                exclude=(Criterion("badges", Operator.CONTAINS, "test"),),
            ),
        )
        for i in range(1, 51)
    ]


class InMemorySegments:
    """The read half of SegmentStore over fixed objects."""

    data: list[Any] = []

    def __init__(self, _db: Any, tenant: str) -> None:
        self.tenant = tenant

    async def list_page(self, where: Any, *, after_id: int | None, limit: int) -> list[Any]:
        start = after_id or 0
        return [s for s in self.data if s.id > start][:limit]

    async def count(self, where: Any) -> int:
        return len(self.data)

    async def get(self, segment_id: int) -> Any:
        return next((s for s in self.data if s.id == segment_id), None)


def _patch_store() -> None:
    from seg_graphql.services import segments

    InMemorySegments.data = _segments()
    segments.SegmentStore = InMemorySegments  # type: ignore[misc]


def build_app(kind: str) -> Any:
    _patch_store()
    if kind == "ours":
        from seg_graphql.app import create_app
        from seg_graphql.config import Settings

        return create_app(Settings(dev_api_key=KEY, dev_tenant="bench"))
    return _stock_app(with_limits=kind == "stock+limits")


def _stock_app(*, with_limits: bool) -> Any:
    import strawberry
    from starlette.applications import Starlette
    from starlette.routing import Route
    from strawberry.asgi import GraphQL
    from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
    from strawberry.schema.config import StrawberryConfig

    from seg_graphql.domain.models import Role
    from seg_graphql.graphql.context import Context
    from seg_graphql.graphql.scalars import SCALAR_MAP
    from seg_graphql.graphql.schema import Mutation, Query
    from seg_graphql.services.auth import Authenticator, mint_key
    from seg_graphql.store.api_keys import ApiKeyStore
    from seg_graphql.store.client import connect, prepare

    extensions = (
        [
            lambda: QueryDepthLimiter(max_depth=10),
            lambda: MaxAliasesLimiter(max_alias_count=15),
            lambda: MaxTokensLimiter(max_token_count=1000),
        ]
        if with_limits
        else []
    )
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )
    state: dict[str, Any] = {}

    class StockGraphQL(GraphQL):
        async def get_context(self, request: Any, response: Any) -> Context:
            principal = await state["auth"].authenticate(request.headers.get("authorization"))
            return Context(store=state["store"], principal=principal, request_id="stock")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        store = await prepare(connect(None, "bench"))
        await mint_key(ApiKeyStore(store.db), tenant="bench", role=Role.ADMIN, key=KEY)
        state["store"], state["auth"] = store, Authenticator(ApiKeyStore(store.db))
        yield

    graphql_app = StockGraphQL(schema)
    return Starlette(lifespan=lifespan, routes=[Route("/graphql", graphql_app)])


def serve(kind: str, port: int) -> None:
    import uvicorn

    if kind == "ours":  # as `seg-graphql serve` runs it: uvicorn with the header deadline
        from seg_graphql.web import serving

        serving.run(
            build_app(kind), host="127.0.0.1", port=port, idle_timeout=30, log_level="warning"
        )
        return
    uvicorn.run(build_app(kind), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# ------------------------------------------------------------------ driver side


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(port: int, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    body = {"query": "{ viewer { tenant } }"}
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            r = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json=body,
                headers={"Authorization": f"Bearer {KEY}"},
                timeout=2,
            )
            if r.status_code == 200 and r.json().get("data"):
                return
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not become ready")


def _check_same_answer(ports: dict[str, int], query: str) -> None:
    import httpx

    answers = {}
    for kind, port in ports.items():
        r = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": query},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=10,
        )
        answers[kind] = r.json()
    first = next(iter(answers.values()))
    assert "errors" not in first, first
    for kind, answer in answers.items():
        if answer != first:
            raise RuntimeError(f"{kind} answers differently from the others")
    print(f"all servers return the same {len(first['data']['segments']['edges'])} segments")


def _load(port: int, query: str, seconds: float, connections: int) -> dict[str, float]:
    spec = {
        "host": "127.0.0.1",
        "port": port,
        "path": "/graphql",
        "body": json.dumps({"query": query, "operationName": "List"}),
        "headers": {"Authorization": f"Bearer {KEY}"},
        "seconds": seconds,
        "connections": connections,
    }
    out = subprocess.run(
        [sys.executable, str(HERE / "loadgen.py"), json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def drive(args: argparse.Namespace) -> None:
    kinds = ["ours", "stock", "stock+limits"]
    ports = {kind: _free_port() for kind in kinds}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [
        subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)], env=env)
        for kind, port in ports.items()
    ]
    try:
        for port in ports.values():
            _wait_ready(port)
        print(
            f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
            f"strawberry-graphql {_version('strawberry-graphql')}; "
            f"{args.rounds} rounds x {args.seconds}s, {args.connections} connections, "
            f"one uvicorn worker each, load generator in its own process"
        )
        for name in args.query:
            _measure(name, QUERIES[name], kinds, ports, args)

    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


def _measure(
    name: str, query: str, kinds: list[str], ports: dict[str, int], args: argparse.Namespace
) -> None:
    print(f"\nquery '{name}':")
    _check_same_answer(ports, query)
    for port in ports.values():  # warm-up: fill the caches, touch every code path
        _load(port, query, 1.0, args.connections)
    results: dict[str, list[float]] = {kind: [] for kind in kinds}
    for round_ in range(1, args.rounds + 1):
        for kind in kinds:
            result = _load(ports[kind], query, args.seconds, args.connections)
            if result["failures"]:
                raise RuntimeError(f"{kind}: {result['failures']} failed requests")
            results[kind].append(result["rps"])
            print(f"  round {round_} {kind:13s} {result['rps']:8.0f} req/s")
    medians = {kind: statistics.median(values) for kind, values in results.items()}
    for kind in kinds:
        print(f"  median {kind:13s} {medians[kind]:8.0f} req/s")
    print(f"  ratio ours / stock         {medians['ours'] / medians['stock']:.2f}x")
    print(f"  ratio ours / stock+limits  {medians['ours'] / medians['stock+limits']:.2f}x")


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", choices=["ours", "stock", "stock+limits"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--query", nargs="+", choices=sorted(QUERIES), default=["list", "full"])
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
    else:
        drive(args)


if __name__ == "__main__":
    main()
