"""The list-expiry sweep: expires what is due once, records it, across tenants, on both stores."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from seg_graphql.jobs.list_expiry import ListExpirySweeper

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


async def seed(store):
    soon, later = naive(T0 + timedelta(minutes=5)), naive(T0 + timedelta(hours=5))
    await store.db["users"].insert_many(
        [
            {
                "tenant": "acme",
                "userId": "a",
                "nextExpiry": soon,
                "segs": [1, 2],
                "m": {
                    "s1": {"listed": True, "expiresAt": soon},
                    "s2": {"listed": True, "expiresAt": later},
                },
            },
            {
                "tenant": "globex",
                "userId": "g",
                "nextExpiry": soon,
                "segs": [1],
                "m": {"s1": {"listed": True, "expiresAt": soon, "override": "ADD"}},
            },
            {
                "tenant": "acme",
                "userId": "never",
                "nextExpiry": None,
                "segs": [1],
                "m": {"s1": {"listed": True, "expiresAt": None}},
            },
        ]
    )


async def test_sweep_expires_due_entries_once(store):
    await seed(store)
    early = ListExpirySweeper(store, interval_seconds=60, clock=lambda: T0)
    assert await early.sweep_once() == 0
    due = ListExpirySweeper(store, interval_seconds=60, clock=lambda: T0 + timedelta(minutes=6))
    assert await due.sweep_once() == 2
    assert await due.sweep_once() == 0
    a = await store.db["users"].find_one({"userId": "a"})
    assert a["m"]["s1"]["listed"] is False and a["m"]["s2"]["listed"] is True
    assert a["nextExpiry"] == naive(T0 + timedelta(hours=5))
    g = await store.db["users"].find_one({"userId": "g"})
    assert g["m"]["s1"]["override"] == "ADD" and g["nextExpiry"] is None
    events = (
        await store.db["membership_events"].find({}, {"_id": 0}).sort("tenant", 1).to_list(None)
    )
    assert [
        (e["tenant"], e["userId"], e["segmentId"], e["action"], e["source"]) for e in events
    ] == [("acme", "a", 1, "EXPIRED", "EXPIRY"), ("globex", "g", 1, "EXPIRED", "EXPIRY")]
    assert events[1]["before"] == {"override": "ADD", "listed": True}
    assert events[1]["after"] == {"override": "ADD", "listed": False}


async def test_concurrent_sweeps_record_each_expiry_once(store):
    if store.capabilities.server == "ferretdb":
        # Measured: 10 concurrent conditional updates of one document, 20 trials, gave 65
        # winners (MongoDB guarantees 20): FerretDB v1 on SQLite does not apply a filtered
        # update atomically against concurrent ones. Single-process behaviour is tested above.
        pytest.xfail("FerretDB v1 conditional updates are not atomic under concurrency")
    await seed(store)
    clock = lambda: T0 + timedelta(hours=6)  # noqa: E731
    sweepers = [ListExpirySweeper(store, interval_seconds=60, clock=clock) for _ in range(3)]
    results = await asyncio.gather(*(s.sweep_once() for s in sweepers))
    assert sum(results) == 3
    assert await store.db["membership_events"].count_documents({"action": "EXPIRED"}) == 3
