"""A realistic mix under load: throughput, errors, latency percentiles and server memory.

Starts `seg-graphql serve` (one process; on SEG_MONGODB_URL if set, else the embedded store),
seeds users and segments through the API, then a load generator in a separate process runs
the mix over N keep-alive connections for a fixed time:
  reads   segment lists with live counts, membership checks, user lookups
  writes  setUserStatus (ADD/BLOCK/RESET), addSegmentUsers, upsertUsers
and prints requests/s, errors (non-200, top-level errors or userErrors), p50/p95/p99 per kind
and overall, and the server's RSS after seeding and at the end. Nothing is asserted.

    python bench/load_bench.py [--seconds 60] [--clients 32] [--users 500] [--segments 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from loadgen import exchange, post_request  # noqa: E402

KEY = "sgk_load_benchmark_key_0123456789abcdef"

SEGMENT_LIST = "query { segments(first: 20) { edges { node { id name userCount } } } }"
CHECK = (
    "query($u: String!, $s: [ID!]!) { membership(userId: $u, segmentIds: $s)"
    " { memberships { isMember state } } }"
)
USER = "query($u: String!) { user(id: $u) { id tier points segments { id } } }"
SET_STATUS = (
    "mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { applied userErrors { code } } }"
)
ADD = (
    "mutation($s: ID!, $u: [SegmentUserInput!]!) { addSegmentUsers(segmentId: $s, users: $u)"
    " { userErrors { code } } }"
)
UPSERT = (
    "mutation($u: [UserInput!]!) { upsertUsers(users: $u) { users { id } userErrors { code } } }"
)
CREATE = (
    "mutation($i: CreateSegmentInput!) { createSegment(input: $i)"
    " { segment { id } userErrors { code } } }"
)

# kind, weight: 70 % reads, 30 % writes
MIX = [
    ("segment_list", 20),
    ("membership_check", 25),
    ("user_lookup", 25),
    ("set_status", 10),
    ("list_add", 10),
    ("upsert", 10),
]


def _request(kind: str, rng: random.Random, users: int, segments: list[str], static: list[str]):
    user = f"u{rng.randrange(users)}"
    if kind == "segment_list":
        return SEGMENT_LIST, {}
    if kind == "membership_check":
        return CHECK, {"u": user, "s": segments}
    if kind == "user_lookup":
        return USER, {"u": user}
    if kind == "set_status":
        status = rng.choice(["ADD", "BLOCK", "RESET"])
        return SET_STATUS, {
            "i": {"user": user, "segmentId": rng.choice(segments), "userStatus": status}
        }
    if kind == "list_add":
        return ADD, {"s": rng.choice(static), "u": [{"user": user, "weight": rng.random()}]}
    return UPSERT, {"u": [{"userId": user, "points": rng.randrange(5000)}]}


# ------------------------------------------------------------------ the load generator process


async def _client(n: int, spec: dict[str, Any], stop_at: float, out: list[tuple[str, float, bool]]):
    rng = random.Random(n)
    kinds, weights = zip(*MIX, strict=True)
    reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
    headers = {"Authorization": f"Bearer {spec['key']}"}
    try:
        while time.perf_counter() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            query, variables = _request(kind, rng, spec["users"], spec["segments"], spec["static"])
            body = json.dumps({"query": query, "variables": variables}).encode()
            request = post_request(spec["host"], spec["port"], "/graphql", body, headers)
            started = time.perf_counter()
            status, answer = await exchange(reader, writer, request)
            took = time.perf_counter() - started
            out.append((kind, took, status == 200 and _clean(json.loads(answer))))
    finally:
        writer.close()


def _clean(body: dict[str, Any]) -> bool:
    if body.get("errors"):
        return False
    return all(
        not (isinstance(p, dict) and p.get("userErrors")) for p in (body.get("data") or {}).values()
    )


def run_clients(spec: dict[str, Any]) -> None:
    out: list[tuple[str, float, bool]] = []
    started = time.perf_counter()
    stop_at = started + spec["seconds"]

    async def main() -> None:
        await asyncio.gather(*(_client(n, spec, stop_at, out) for n in range(spec["clients"])))

    asyncio.run(main())
    print(json.dumps({"elapsed": time.perf_counter() - started, "results": out}))


# ------------------------------------------------------------------ the driver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    kept = ("SEG_MONGODB_URL", "SEG_DATABASE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEG_") or k in kept}
    env.update({"SEG_DEV_API_KEY": KEY, "SEG_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"})
    # seeding 500 users in one call takes FerretDB longer than the default 10 s deadline
    env.setdefault("SEG_REQUEST_TIMEOUT_SECONDS", "120")
    proc = subprocess.Popen(
        [sys.executable, "-m", "seg_graphql", "serve", "--port", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server did not start:\n{log.read_text()}")


def _mint_key_on_database() -> None:
    """On MongoDB/FerretDB the dev key is not made by serve: put the same key there."""
    from seg_graphql.config import Settings
    from seg_graphql.domain.models import Role
    from seg_graphql.services.auth import mint_key
    from seg_graphql.store.api_keys import ApiKeyStore
    from seg_graphql.store.client import connect, prepare

    async def mint() -> None:
        settings = Settings()
        store = await prepare(connect(settings.mongodb_url, settings.database))
        await mint_key(ApiKeyStore(store.db), tenant="dev", role=Role.ADMIN, key=KEY)
        await store.close()

    asyncio.run(mint())


def _seed(port: int, users: int, segments: int) -> tuple[list[str], list[str]]:
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {KEY}"}, timeout=600
    ) as http:

        def call(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            body = http.post("/graphql", json={"query": query, "variables": variables}).json()
            assert not body.get("errors"), body
            return body["data"]

        tiers = ["bronze", "silver", "gold", "platinum"]
        for start in range(0, users, 500):
            batch = [
                {"userId": f"u{i}", "tier": tiers[i % 4], "points": (i * 37) % 5000}
                for i in range(start, min(start + 500, users))
            ]
            call(UPSERT, {"u": batch})
        ids, static = [], []
        for n in range(segments):
            if n % 2:
                spec = {"name": f"list {n}", "type": "STATIC"}
            else:
                tier = tiers[n // 2 % 4]
                spec = {
                    "name": f"rules {n}",
                    "rules": {"include": [{"field": "tier", "operator": "EQUALS", "value": tier}]},
                }
            segment_id = call(CREATE, {"i": spec})["createSegment"]["segment"]["id"]
            ids.append(segment_id)
            if n % 2:
                static.append(segment_id)
                members = [{"user": f"u{i}"} for i in range(n, users, 7)][:500]
                call(ADD, {"s": segment_id, "u": members})
        return ids, static


def _percentiles(latencies: list[float]) -> str:
    if len(latencies) < 2:
        return "n/a"
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:7.1f}  p95 {cuts[94] * 1000:7.1f}  p99 {cuts[98] * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--segments", type=int, default=10)
    parser.add_argument("--client-spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_spec:
        run_clients(json.loads(args.client_spec))
        return

    store = "SEG_MONGODB_URL" if os.environ.get("SEG_MONGODB_URL") else "embedded"
    if store != "embedded":
        os.environ["SEG_DATABASE"] = f"seg_load_{uuid.uuid4().hex[:8]}"  # a fresh database
        _mint_key_on_database()
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = _start_server(port, Path(tmp) / "server.log")
        try:
            segments, static = _seed(port, args.users, args.segments)
            rss_start = _rss_mib(server.pid)
            spec = {
                "host": "127.0.0.1",
                "port": port,
                "key": KEY,
                "seconds": args.seconds,
                "clients": args.clients,
                "users": args.users,
                "segments": segments,
                "static": static,
            }
            load = subprocess.run(
                [sys.executable, __file__, "--client-spec", json.dumps(spec)],
                capture_output=True,
                text=True,
                check=True,
            )
            rss_end = _rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    report = json.loads(load.stdout)
    results = report["results"]
    errors = sum(1 for _, _, ok in results if not ok)
    print(
        f"load_bench: store={store}, {args.users} users, {args.segments} segments, "
        f"{args.clients} clients x {args.seconds:.0f} s, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}"
    )
    print(
        f"  requests {len(results)}  throughput {len(results) / report['elapsed']:.1f} req/s  "
        f"errors {errors}"
    )
    print(f"  all               {_percentiles([t for _, t, _ in results])}")
    for kind, _ in MIX:
        mine = [t for k, t, _ in results if k == kind]
        failed = sum(1 for k, _, ok in results if k == kind and not ok)
        print(f"  {kind:<17} {_percentiles(mine)}  ({len(mine)} requests, {failed} errors)")
    growth = (rss_end - rss_start) / rss_start * 100
    print(
        f"  server RSS {rss_start:.1f} MiB after seeding -> {rss_end:.1f} MiB at the end "
        f"({growth:+.1f} %)"
    )


if __name__ == "__main__":
    main()
