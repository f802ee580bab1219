"""Leases and the estimate refresh, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from seg_graphql.domain.models import Principal, Role
from seg_graphql.jobs.estimates import EstimateRefresher
from seg_graphql.services.scope import Scope
from seg_graphql.services.segments import SegmentService
from seg_graphql.services.users import UserService
from seg_graphql.store.leases import Leases

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


async def test_a_lease_has_one_owner_until_it_runs_out(store):
    now = [T0]
    a = Leases(store.db, "a", clock=lambda: now[0])
    b = Leases(store.db, "b", clock=lambda: now[0])
    assert await a.claim("job", timedelta(minutes=1)) is True
    assert await b.claim("job", timedelta(minutes=1)) is False
    assert await a.claim("job", timedelta(minutes=1)) is True  # renewing is fine
    now[0] = T0 + timedelta(minutes=2)  # a crashed: its lease ran out
    assert await b.claim("job", timedelta(minutes=1)) is True
    assert await a.claim("job", timedelta(minutes=1)) is False
    await b.release("job")
    assert await a.claim("job", timedelta(minutes=1)) is True
    assert await b.claim("other-job", timedelta(minutes=1)) is True


async def test_refresh_updates_stale_estimates_of_every_tenant(store):
    for tenant, users in (("acme", 3), ("globex", 1)):
        principal = Principal(tenant, Role.ADMIN)
        await SegmentService(Scope(store, principal)).create({"name": "everyone", "matchAll": True})
        await UserService(Scope(store, principal)).upsert(
            [{"userId": f"u{i}"} for i in range(users)]
        )
    refresher = EstimateRefresher(store, Leases(store.db, "me"), interval_seconds=3600)
    assert await refresher.run_cycle() == 2
    sizes = {
        d["tenant"]: d["estimatedSize"] for d in await store.db["segments"].find({}).to_list(None)
    }
    assert sizes == {"acme": 3, "globex": 1}
    assert await refresher.run_cycle() == 0  # fresh now: nothing to do until the interval passes


async def test_refresh_skips_while_another_process_holds_the_lease(store):
    await SegmentService(Scope(store, Principal("acme", Role.ADMIN))).create(
        {"name": "s", "matchAll": True}
    )
    other = Leases(store.db, "other")
    assert await other.claim("estimate-refresh", timedelta(minutes=10))
    refresher = EstimateRefresher(store, Leases(store.db, "me"), interval_seconds=3600)
    assert await refresher.run_cycle() is None
    doc = await store.db["segments"].find_one({})
    assert doc["estimatedSizeUpdatedAt"] is None


async def test_concurrent_claimers_get_one_owner(store):
    """Taking a lease is creating its document: exclusive on every server, FerretDB too."""
    import asyncio

    now = [T0]
    claimers = [Leases(store.db, f"w{i}", clock=lambda: now[0]) for i in range(10)]
    for _ in range(5):
        won = await asyncio.gather(*(c.claim("job", timedelta(minutes=1)) for c in claimers))
        assert sum(won) == 1
        now[0] += timedelta(minutes=2)  # the winner dies: its lease runs out
