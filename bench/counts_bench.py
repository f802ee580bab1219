"""Counts on a real MongoDB-wire server: userCount of 100 segments over N users in one query,
segmentCounts, and one estimate refresh cycle. Prints round trips and times; asserts nothing.

    SEG_MONGODB_URL=$(scripts/realdb.sh start) python bench/counts_bench.py [--users 100000]

The embedded store is refused: it scans in Python on the event loop and says nothing about a
real server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from typing import Any

from seg_graphql.domain.models import Principal, Role
from seg_graphql.graphql.context import Context
from seg_graphql.graphql.schema import build_schema
from seg_graphql.jobs.estimates import EstimateRefresher
from seg_graphql.services.scope import Scope
from seg_graphql.services.segments import SegmentService
from seg_graphql.store.client import Store, connect, prepare
from seg_graphql.store.leases import Leases

TENANT = "bench"
LISTED = 1_000  # users on each static segment's list
USER_COUNT_QUERY = "{ segments(first: 100) { edges { node { id userCount } } } }"
SEGMENT_COUNTS_QUERY = (
    "{ segmentCounts(minWeight: 0.5, forceRefresh: true, size: 100) "
    "{ total items { userCount strength } } }"
)


async def seed(store: Store, users: int, rng: random.Random) -> None:
    """100 segments first (every tenth a static list of LISTED users), then the users with
    their list entries already in place: FerretDB v1 rewrites ~20 documents per second on
    update, so lists are written at insert time, in batches."""
    tiers = ["bronze", "silver", "gold", "platinum"]
    started = time.perf_counter()
    principal = Principal(TENANT, Role.ADMIN)
    segments = SegmentService(Scope(store, principal))
    lists: dict[int, dict[int, float]] = {}
    for n in range(100):
        if n % 10 == 9:
            segment = await segments.create({"name": f"static {n}", "type": "STATIC"})
            picked = rng.sample(range(users), min(LISTED, users))
            lists[segment.id] = {i: rng.choice((0.2, 0.4, 0.6, 0.8, 1.0)) for i in picked}
        else:
            await segments.create(
                {
                    "name": f"dynamic {n}",
                    "rules": {
                        "include": [
                            {"field": "tier", "operator": "IN", "value": rng.sample(tiers, 2)},
                            {"field": "points", "operator": "GTE", "value": rng.randint(0, 9_000)},
                        ],
                        "exclude": [{"field": "badges", "operator": "CONTAINS", "value": "test"}],
                    },
                }
            )
    batch: list[dict[str, Any]] = []
    for n in range(users):
        doc: dict[str, Any] = {
            "tenant": TENANT,
            "userId": f"u{n:07d}",
            "email": f"user{n}@example.com",
            "emailLower": f"user{n}@example.com",
            "tier": rng.choice(tiers),
            "points": rng.randint(0, 10_000),
            "xp": rng.randint(0, 500),
            "coins": rng.randint(0, 100),
            "badges": rng.sample(["vip", "early", "test", "beta"], rng.randint(0, 2)),
            "customFields": {"plan": rng.choice(["free", "pro", "team"])},
        }
        entries = {
            f"s{sid}": {"listed": True, "weight": weights[n], "expiresAt": None}
            for sid, weights in lists.items()
            if n in weights
        }
        if entries:
            doc["m"] = entries
            doc["segs"] = [int(key[1:]) for key in entries]
        batch.append(doc)
        if len(batch) == 5_000:
            await store.db["users"].insert_many(batch)
            batch = []
    if batch:
        await store.db["users"].insert_many(batch)
    print(
        f"seeded 100 segments (90 dynamic, 10 static lists of {LISTED}) and {users} users "
        f"in {time.perf_counter() - started:.1f}s"
    )


async def timed_query(store: Store, query: str, rounds: int) -> tuple[float, int, Any]:
    schema = build_schema()
    times, commands, data = [], [], None
    for _ in range(rounds):
        context = Context(store=store, principal=Principal(TENANT, Role.ADMIN), request_id="b")
        before = store.counter.count
        started = time.perf_counter()
        result = await schema.execute(query, context_value=context)
        times.append(time.perf_counter() - started)
        commands.append(store.counter.count - before)
        assert not result.errors, result.errors
        data = result.data
    return statistics.median(times), max(commands), data


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("SEG_MONGODB_URL")
    if not url:
        sys.exit(
            "set SEG_MONGODB_URL (e.g. $(scripts/realdb.sh start)); the embedded store is "
            "not a benchmark backend"
        )
    database = f"bench_counts_{uuid.uuid4().hex[:8]}"
    store = await prepare(connect(url, database, server_timeout_ms=10_000))
    print(
        f"server: {store.capabilities.describe()}; {os.cpu_count()} cores; "
        f"{args.users} users, 100 segments"
    )
    try:
        await seed(store, args.users, random.Random(42))
        seconds, commands, data = await timed_query(store, USER_COUNT_QUERY, args.rounds)
        total = sum(e["node"]["userCount"] for e in data["segments"]["edges"])
        print(
            f"userCount of 100 segments: {seconds * 1000:.0f} ms per query (median of "
            f"{args.rounds}), {commands} database commands (sum of counts {total})"
        )
        seconds, commands, _ = await timed_query(store, SEGMENT_COUNTS_QUERY, args.rounds)
        print(
            f"segmentCounts(forceRefresh) of 100 segments: {seconds * 1000:.0f} ms per query, "
            f"{commands} database commands"
        )
        refresher = EstimateRefresher(store, Leases(store.db, "bench"), interval_seconds=3600)
        started = time.perf_counter()
        refreshed = await refresher.run_cycle()
        print(
            f"estimate refresh cycle: {refreshed} segments in {time.perf_counter() - started:.2f}s"
        )
    finally:
        await store.client.drop_database(database)
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
