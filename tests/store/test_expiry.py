"""Expiry without TTL indexes: query-time filtering and the periodic sweep, on both stores."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from seg_graphql.store.capabilities import Capabilities
from seg_graphql.store.expiry import Expiring, ExpirySweeper, ensure_ttl_indexes, live_filter

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
EXPIRING = [Expiring("expiring_things")]


async def seed(store):
    docs = [
        {"name": "past", "expiresAt": datetime(2026, 6, 1, 11, 59)},
        {"name": "exactly-now", "expiresAt": datetime(2026, 6, 1, 12, 0)},
        {"name": "future", "expiresAt": datetime(2026, 6, 1, 12, 1)},
        {"name": "never-null", "expiresAt": None},
        {"name": "never-missing"},
    ]
    for doc in docs:
        await store.db["expiring_things"].insert_one(doc)


async def names(store, query=None):
    docs = await store.db["expiring_things"].find(query or {}, {"name": 1}).to_list(None)
    return sorted(doc["name"] for doc in docs)


async def test_live_filter_hides_expired_documents(store):
    await seed(store)
    assert await names(store, live_filter(NOW)) == ["future", "never-missing", "never-null"]


async def test_sweep_removes_only_expired_documents(store):
    await seed(store)
    sweeper = ExpirySweeper(store.db, EXPIRING, interval_seconds=60, clock=lambda: NOW)
    assert await sweeper.sweep_once() == {"expiring_things": 2}
    assert await names(store) == ["future", "never-missing", "never-null"]
    assert await sweeper.sweep_once() == {"expiring_things": 0}


async def test_sweeper_runs_in_the_background(store):
    await seed(store)
    sweeper = ExpirySweeper(
        store.db, EXPIRING, interval_seconds=0.01, clock=lambda: NOW + timedelta(hours=1)
    )
    async with sweeper.running():
        for _ in range(100):
            if await names(store) == ["never-missing", "never-null"]:
                break
            await asyncio.sleep(0.01)
    assert await names(store) == ["never-missing", "never-null"]


async def test_no_ttl_index_without_the_capability(store):
    created = await ensure_ttl_indexes(store.db, Capabilities(ttl_indexes=False), EXPIRING)
    assert created is False
    indexes = await store.db["expiring_things"].index_information()
    assert "ttl_expiresAt" not in indexes


async def test_capabilities_are_detected(store):
    caps = store.capabilities
    if store.embedded:
        assert caps.server == "embedded" and not caps.ttl_indexes
    else:
        assert caps.server in ("mongodb", "ferretdb")
        if caps.server == "ferretdb":
            assert not caps.ttl_indexes and not caps.partial_indexes
        else:
            assert caps.ttl_indexes
        created = await ensure_ttl_indexes(store.db, caps, EXPIRING)
        assert created is caps.ttl_indexes
