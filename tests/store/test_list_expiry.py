"""The list-expiry sweep: expires what is due once, records it, across tenants, on both stores."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from seg_graphql.domain.history import EventSource
from seg_graphql.domain.membership import UserStatus
from seg_graphql.domain.membership_changes import DueUser, Expire, ListRemove, Override
from seg_graphql.jobs.list_expiry import ListExpirySweeper
from seg_graphql.services.membership_writes import MembershipWriter
from seg_graphql.services.scope import Scope
from seg_graphql.store.users import DueForExpiry
from tests.api.helpers import add_users, create_segment, upsert
from tests.api.membership_queries import REMOVE_USERS
from tests.unit.test_membership_changes import STATIC

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


async def test_a_user_with_nothing_due_gets_its_next_expiry_moved(admin, store):
    """An entry removed (or re-added) before it expires leaves the user's nextExpiry behind
    ($min only lowers it): the sweep must still move it, or the user stays due for good and
    fills every pass of every later sweep."""
    segment = await create_segment(admin, name="Expiring", type="STATIC")
    await upsert(admin, {"userId": "u1"})
    expires = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    added = await add_users(admin, segment, {"user": "u1", "expirationTs": expires})
    assert added["userErrors"] == []
    removed = await admin.data(REMOVE_USERS, {"segmentId": segment, "users": ["u1"]})
    assert removed["removeSegmentUsers"]["userErrors"] == []
    later = datetime.now(UTC) + timedelta(hours=2)
    sweeper = ListExpirySweeper(store, interval_seconds=60, clock=lambda: later)
    assert await sweeper.sweep_once() == 0
    assert not await DueForExpiry(store.db).find(later, 10)
    user = await store.db["users"].find_one({"userId": "u1"})
    assert user["nextExpiry"] is None


@pytest.mark.parametrize("conditional", ["override", "expiry"])
async def test_a_batch_mixing_conditional_and_list_changes_is_refused(store, conditional):
    """Overrides and expiries are conditional writes in batches of their own: a mixed batch
    is an error whatever the interpreter's flags (no assert), and writes nothing."""
    writer = MembershipWriter(Scope.system(store, "acme"), EventSource.API)
    user = {"userId": "u1"}
    odd = (
        Override(STATIC, user, UserStatus.ADD, "1", T0)
        if conditional == "override"
        else Expire(DueUser("u1", {}, T0))
    )
    with pytest.raises(ValueError, match="batches of their own"):
        await writer.apply([ListRemove(STATIC, user), odd], at=T0)
    with pytest.raises(ValueError, match="batches of their own"):
        await writer.apply([odd, ListRemove(STATIC, user)], at=T0)
    assert await store.db["membership_events"].count_documents({}) == 0
