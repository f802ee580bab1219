"""The history store keeps domain events: what is recorded is what a page reads back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from seg_graphql.domain.history import EventAction, EventSource, HistoryOf, MembershipEvent
from seg_graphql.domain.membership import Snapshot, UserStatus
from seg_graphql.store.events import EventStore

AT = datetime(2026, 6, 1, 12, 0, 0, 123000, tzinfo=UTC)  # milliseconds: what the server keeps


async def test_an_event_reads_back_as_it_was_recorded(store):
    event = MembershipEvent(
        7,
        "u1",
        AT,
        EventAction.OVERRIDE_SET,
        Snapshot(None, listed=True),
        Snapshot(UserStatus.BLOCK, listed=False),
        EventSource.API,
        actor_key_id="k1",
        actor_user_id="alice",
        reference_id="r",
        description="d",
        status_at=AT,
    )
    other = replace(event, segment_id=8, user_id="u2")
    await EventStore(store.db, "acme").record([event, other])
    await EventStore(store.db, "globex").record([event])
    page = await EventStore(store.db, "acme").page(HistoryOf(segment_id=7), before=None, limit=5)
    [back] = page
    assert back.id is not None and replace(back, id=None) == event
    by_user = await EventStore(store.db, "acme").page(HistoryOf(user_id="u2"), before=None, limit=5)
    assert [e.segment_id for e in by_user] == [8]
