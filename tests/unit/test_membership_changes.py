"""The pure step of every membership write: a change becomes an entry update plus an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from seg_graphql.domain.history import EventAction, EventSource
from seg_graphql.domain.membership import Entry, Snapshot, UserStatus, status_version
from seg_graphql.domain.membership_changes import (
    Actor,
    DueUser,
    ListAdd,
    ListRemove,
    Override,
    plan_change,
    plan_expiry,
)
from seg_graphql.domain.models import EditableBy, Principal, Role, Rules, Segment, SegmentType
from seg_graphql.domain.user import User

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
ACTOR = Actor(Principal("acme", Role.ADMIN, key_id="k1"), EventSource.API)
SWEEP = Actor(Principal("acme", Role.ADMIN), EventSource.EXPIRY)
STATIC = Segment(
    tenant="acme",
    id=7,
    technical_name="vip",
    name="VIP",
    type=SegmentType.STATIC,
    rules=Rules(),
    editable_by=EditableBy.ADMIN,
    created_at=AT,
    updated_at=AT,
)


def test_a_list_add_stores_the_entry_and_records_listed():
    expires = AT + timedelta(days=1)
    plan = plan_change(ListAdd(STATIC, User("u1"), expires_at=expires, weight=0.5), ACTOR, AT)
    assert plan.update.user_id == "u1" and plan.update.segment_id == 7
    assert plan.update.changes == {
        "listed": True,
        "updated_at": AT,
        "expires_at": expires,
        "weight": 0.5,
        "data_bag": None,
    }
    assert plan.update.lower_next_expiry == expires and plan.update.create is None
    assert plan.entry.listed and plan.user.entry(7) == plan.entry and list(plan.user.entries) == [7]
    assert plan.event.action is EventAction.LISTED
    assert (plan.event.before, plan.event.after) == (Snapshot(None, False), Snapshot(None, True))
    assert plan.event.actor_key_id == "k1" and plan.event.source is EventSource.API


def test_the_same_add_again_writes_but_records_no_event():
    first = plan_change(ListAdd(STATIC, User("u1")), ACTOR, AT)
    again = plan_change(ListAdd(STATIC, first.user), ACTOR, AT + timedelta(seconds=1))
    assert again.update.changes["listed"] is True
    assert again.event is None


def test_a_user_created_by_an_import_line_carries_its_identity_and_event_id():
    actor = Actor(Principal("acme", Role.ADMIN), EventSource.IMPORT)
    change = ListAdd(
        STATIC,
        User.created("imp-1", AT, email_hash="h"),
        creates=True,
        note="import x line 3",
        event_id="e3",
    )
    plan = plan_change(change, actor, AT)
    created = plan.update.create
    assert (created.user_id, created.email_hash, created.created_at) == ("imp-1", "h", AT)
    assert created.tier is None and "tier" in created.unset and plan.user.entry(7).listed
    assert plan.event.id == "e3" and plan.event.description == "import x line 3"


def test_a_removal_unlists():
    listed = plan_change(ListAdd(STATIC, User("u1")), ACTOR, AT).user
    plan = plan_change(ListRemove(STATIC, listed), ACTOR, AT)
    assert plan.update.changes == {"listed": False, "updated_at": AT}
    assert plan.event.action is EventAction.UNLISTED
    assert plan.event.after == Snapshot(None, False)


def test_an_override_is_conditional_on_its_version():
    version = status_version(UserStatus.BLOCK, 1_000, "r", None)
    change = Override(STATIC, User("u1"), UserStatus.BLOCK, version, AT, "r")
    plan = plan_change(change, ACTOR, AT)
    assert plan.update.newer_than == version
    assert plan.update.changes["override"] is UserStatus.BLOCK
    assert plan.entry.override is UserStatus.BLOCK and plan.entry.reference_id == "r"
    assert plan.event.action is EventAction.OVERRIDE_SET
    assert plan.event.reference_id == "r"
    assert plan.event.status_at == AT


def test_expiry_takes_due_entries_off_and_keeps_the_next_one():
    later = AT + timedelta(days=2)
    user = DueUser(
        "u1",
        {
            7: Entry(listed=True, expires_at=AT),
            8: Entry(listed=True, expires_at=later),
            9: Entry(listed=False, expires_at=AT),
        },
        AT,
    )
    update = plan_expiry(user, SWEEP, AT + timedelta(minutes=1))
    assert update.segment_ids == (7,)
    assert update.next_expiry == later
    assert update.seen_next_expiry == AT
    [event] = update.events
    assert event.action is EventAction.EXPIRED and event.source is EventSource.EXPIRY
    assert (event.before.listed, event.after.listed) == (True, False)
    assert event.actor_key_id is None

    # Nothing due after all: still an update, which moves the next expiry.
    nothing = plan_expiry(user, SWEEP, AT - timedelta(minutes=1))
    assert (nothing.segment_ids, nothing.events, nothing.next_expiry) == ((), [], AT)
    gone = DueUser("u1", {7: Entry(listed=False, expires_at=AT)}, AT)
    assert plan_expiry(gone, SWEEP, AT + timedelta(minutes=1)).next_expiry is None
