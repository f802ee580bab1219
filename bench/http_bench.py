"""GraphQL-over-HTTP throughput: seg-graphql's endpoint vs stock Strawberry and graphql-yoga.

Each server is one process (one uvicorn worker, or one Node process) serving the same 50
segments from the same in-memory objects (the embedded mock is never a benchmark backend)
and checking the same API key:
  ours          the lean endpoint: cached parse and validation, compiled execution, orjson,
                run as `seg-graphql serve` runs it: logging at info, so one access line per
                request (text, to a file; --access-log json|off)
  base          (with --base DIR) the same, from another source tree (DIR/src: e.g. a
                `git worktree` of an earlier commit), for before/after figures in one run
  stock         strawberry.asgi.GraphQL with no extensions
  stock+limits  strawberry.asgi.GraphQL with QueryDepthLimiter, MaxAliasesLimiter, MaxTokensLimiter
  yoga          graphql-yoga 5 on Node (bench/yoga, locked; started when `node` is present)
A load generator in a separate process sends 50-item list queries (a picker's 3 fields, and
every field) to all of them, and the real-time membership check (`membership(userId,
segmentIds)` with 20 ids, the user served from memory) to ours and stock Strawberry (yoga
does not serve it). Servers are measured in interleaved rounds (A B C D A B C D ...); the
medians of requests/s and of the p50/p99 latencies are printed, then one line of ratios.
Nothing is asserted.

    python bench/http_bench.py [--seconds 5] [--rounds 3] [--connections 16]
                               [--query list full membership] [--no-yoga]
                               [--access-log text|json|off] [--base DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEY = "sgk_benchmark_key_0123456789abcdefghij"
USER_ID = "bench-user"
PYTHON_KINDS = ["ours", "stock", "stock+limits"]
ALL_KINDS = [*PYTHON_KINDS, "yoga"]
OURS = ("ours", "base")  # `base`: our server from another source tree (--base)
QUERIES = {
    # what a segment picker asks for: ~150 fields per response
    "list": """query List { segments(first: 50) { edges { node { id name type } } } }""",
    # every field of every segment, rules included: ~1,200 fields per response
    "full": """query List { segments(first: 50) { edges { cursor node {
  id technicalName name type editableBy isDefault teamId createdAt updatedAt fql
  rules { include { field operator value } exclude { field operator value } } }
} pageInfo { hasNextPage endCursor } } }""",
    # the real-time check: is one user in these 20 segments, and why
    "membership": """query List($userId: String!, $ids: [ID!]!) {
  membership(userId: $userId, segmentIds: $ids) {
    user { id tier points }
    memberships { segment { id name } isMember state source listed weight }
  }
}""",
}
VARIABLES: dict[str, dict[str, Any]] = {
    "membership": {"userId": USER_ID, "ids": [str(i) for i in range(1, 41, 2)]},
}
KINDS = {"list": ALL_KINDS, "full": ALL_KINDS, "membership": ["ours", "stock"]}
BASE_KINDS = {"list": ["base"], "full": ["base"], "membership": ["base"]}


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

    async def get_many(self, segment_ids: Any) -> dict[int, Any]:
        wanted = set(segment_ids)
        return {s.id: s for s in self.data if s.id in wanted}


class InMemoryUsers:
    """UserStore.resolve over one fixed user document (what the membership check reads)."""

    doc: dict[str, Any] = {}

    def __init__(self, _db: Any, tenant: str, **_options: Any) -> None:
        self.tenant = tenant
        try:  # stores that give domain users convert the document they read (issue 12)
            from seg_graphql.store.users import user_of
        except ImportError:  # a --base tree older than the domain User
            self._user = self.doc
        else:
            self._user = user_of(self.doc)

    async def resolve(self, user: str) -> Any:
        return self._user if user in (self.doc["userId"], self.doc["email"]) else None


def _user() -> dict[str, Any]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "userId": USER_ID,
        "email": "bench@example.com",
        "tier": "gold",
        "points": 250,
        "badges": ["early"],
        "customFields": {},
        "createdAt": now,
        "updatedAt": now,
    }


def _patch_store() -> None:
    """Where the services make their stores: services/scope.py, or (in trees older than the
    tenant Scope, served with --base) the services themselves."""
    import importlib

    InMemorySegments.data = _segments()
    InMemoryUsers.doc = _user()
    for name in ("scope", "segments", "membership"):
        try:
            module = importlib.import_module(f"seg_graphql.services.{name}")
        except ImportError:
            continue
        for attribute, fake in (("SegmentStore", InMemorySegments), ("UserStore", InMemoryUsers)):
            if hasattr(module, attribute):
                setattr(module, attribute, fake)


def _yoga_data(path: Path) -> None:
    """The same segments and key for the Node server, as their GraphQL values."""
    from seg_graphql.graphql.scalars import serialize_datetime

    def criterion(c: Any) -> dict[str, Any]:
        return {"field": c.field, "operator": c.operator.name, "value": c.value}

    segments = [
        {
            "id": s.id,
            "technicalName": s.technical_name,
            "name": s.name,
            "description": s.description,
            "type": s.type.name,
            "url": s.url,
            "teamId": s.team_id,
            "isDefault": s.is_default,
            "editableBy": s.editable_by.name,
            "estimatedSize": s.estimated_size,
            "estimatedSizeUpdatedAt": None,
            # the same text our DateTime scalar writes (RFC 3339, UTC, milliseconds)
            "createdAt": serialize_datetime(s.created_at),
            "updatedAt": serialize_datetime(s.updated_at),
            "rules": {
                "include": [criterion(c) for c in s.rules.include],
                "exclude": [criterion(c) for c in s.rules.exclude],
            },
        }
        for s in _segments()
    ]
    key = {"hash": hashlib.sha256(KEY.encode()).hexdigest(), "tenant": "bench", "role": "ADMIN"}
    path.write_text(json.dumps({"segments": segments, "keys": [key]}))


def build_app(kind: str) -> Any:
    _patch_store()
    if kind in OURS:
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


def serve(kind: str, port: int, access_log: str, log_file: Path | None) -> None:
    import uvicorn

    application = build_app(kind)
    gc.collect()  # as `seg-graphql serve` does, for every Python server alike
    gc.freeze()
    if kind in OURS:  # as `seg-graphql serve` runs it: uvicorn with the header deadline
        from seg_graphql.web import serving

        if access_log != "off" and log_file is not None:
            _log_as_serve(access_log, log_file)

        serving.run(application, host="127.0.0.1", port=port, idle_timeout=30, log_level="warning")
        return
    uvicorn.run(application, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _log_as_serve(log_format: str, log_file: Path) -> None:
    """`seg-graphql serve`'s logging (level info), into a file rather than the terminal."""
    import logging

    from seg_graphql.logs import configure_logging

    configure_logging("info", log_format)
    stream = log_file.open("a", encoding="utf-8")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)


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


def _post(port: int, name: str) -> dict[str, Any]:
    import httpx

    r = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": QUERIES[name], "variables": VARIABLES.get(name), "operationName": "List"},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    )
    return r.json()


def _check_same_answer(ports: dict[str, int], name: str) -> None:
    answers = {kind: _post(port, name) for kind, port in ports.items()}
    first = next(iter(answers.values()))
    assert "errors" not in first and first.get("data"), first
    for kind, answer in answers.items():
        if answer != first:
            raise RuntimeError(f"{kind} answers differently from the others: {answer}")
    print(f"all of {', '.join(ports)} return the same answer")


def _load(port: int, name: str, seconds: float, connections: int) -> dict[str, float]:
    body = {"query": QUERIES[name], "operationName": "List"}
    if name in VARIABLES:
        body["variables"] = VARIABLES[name]
    spec = {
        "host": "127.0.0.1",
        "port": port,
        "path": "/graphql",
        "body": json.dumps(body),
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


def _start_yoga(port: int, data: Path) -> subprocess.Popen | None:
    node = shutil.which("node")
    if node is None:
        print("node not found: graphql-yoga is left out")
        return None
    folder = HERE / "yoga"
    if not (folder / "node_modules").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            print("npm not found: graphql-yoga is left out")
            return None
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=folder, check=True)
    return subprocess.Popen([node, str(folder / "server.mjs"), str(port), str(data)])


def drive(args: argparse.Namespace) -> None:
    python_kinds = [*PYTHON_KINDS, *(["base"] if args.base else [])]
    ports = {kind: _free_port() for kind in [*python_kinds, "yoga"]}
    workdir = Path(tempfile.mkdtemp(prefix="seg-bench-"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = []
    for kind in python_kinds:
        command = [sys.executable, __file__, "--serve", kind, "--port", str(ports[kind])]
        command += ["--access-log", args.access_log, "--log-file", str(workdir / f"{kind}.log")]
        kind_env = env
        if kind == "base":
            source = str(Path(args.base).resolve() / "src")
            kind_env = {**env, "PYTHONPATH": os.pathsep.join([source, env.get("PYTHONPATH", "")])}
        procs.append(subprocess.Popen(command, env=kind_env))
    yoga = None
    if not args.no_yoga:
        _yoga_data(workdir / "data.json")
        yoga = _start_yoga(ports["yoga"], workdir / "data.json")
    if yoga is None:
        del ports["yoga"]
    else:
        procs.append(yoga)
    try:
        for port in ports.values():
            _wait_ready(port)
        print(
            f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
            f"strawberry-graphql {_version('strawberry-graphql')}; "
            f"{_node_versions() if yoga else 'no node'}; "
            f"{args.rounds} rounds x {args.seconds}s, {args.connections} connections, "
            f"one server process each, load generator in its own process; "
            f"our access log: {args.access_log}" + (f"; base: {args.base}" if args.base else "")
        )
        medians = {
            name: _measure(
                name, [k for k in KINDS[name] + BASE_KINDS[name] if k in ports], ports, args
            )
            for name in args.query
        }
        print("\n" + _ratios(medians))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _measure(
    name: str, kinds: list[str], ports: dict[str, int], args: argparse.Namespace
) -> dict[str, float]:
    print(f"\nquery '{name}':")
    _check_same_answer({k: ports[k] for k in kinds}, name)
    for kind in kinds:  # warm-up: fill the caches, plan the documents, touch every path
        _load(ports[kind], name, 1.0, args.connections)
    results: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for round_ in range(1, args.rounds + 1):
        for kind in kinds:
            result = _load(ports[kind], name, args.seconds, args.connections)
            if result["failures"]:
                raise RuntimeError(f"{kind}: {result['failures']} failed requests")
            results[kind].append(result)
            print(
                f"  round {round_} {kind:13s} {result['rps']:8.0f} req/s"
                f"   p50 {result['p50_ms']:6.1f} ms   p99 {result['p99_ms']:6.1f} ms"
            )
    medians = {}
    for kind in kinds:
        rps, p50, p99 = (
            statistics.median(r[field] for r in results[kind])
            for field in ("rps", "p50_ms", "p99_ms")
        )
        medians[kind] = rps
        print(
            f"  median {kind:13s} {rps:8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
            f"   p99/p50 {p99 / p50:.1f}"
        )
    for other in kinds[1:]:
        print(f"  ratio ours / {other:13s} {medians['ours'] / medians[other]:.2f}x")
    return medians


def _ratios(medians: dict[str, dict[str, float]]) -> str:
    def ratio(name: str, other: str) -> str:
        found = medians.get(name, {})
        if "ours" not in found or other not in found:
            return "n/a"
        return f"{found['ours'] / found[other]:.2f}"

    return (
        f"ratios: list ours/yoga={ratio('list', 'yoga')} ours/stock={ratio('list', 'stock')}; "
        f"full ours/yoga={ratio('full', 'yoga')} ours/stock={ratio('full', 'stock')}; "
        f"membership ours/stock={ratio('membership', 'stock')}"
    )


def _node_versions() -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    package = json.loads((HERE / "yoga/node_modules/graphql-yoga/package.json").read_text())
    return f"node {node}, graphql-yoga {package['version']}"


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", choices=[*PYTHON_KINDS, "base"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--log-file", type=Path)
    parser.add_argument(
        "--access-log",
        choices=["text", "json", "off"],
        default="text",
        help="our servers log as `seg-graphql serve` does (info), in text or json; off: "
        "logging left unconfigured (no access lines)",
    )
    parser.add_argument("--base", help="also serve ours from this source tree (DIR/src)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--query", nargs="+", choices=list(QUERIES), default=["list", "full", "membership"]
    )
    parser.add_argument("--no-yoga", action="store_true", help="leave graphql-yoga out")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.access_log, args.log_file)
    else:
        drive(args)


if __name__ == "__main__":
    main()
