"""A change of one user's membership state in one segment, and what it does: the entry update
to store plus the history event. Pure: services/membership_writes.py reads, checks and
writes; these functions only compute, so the API, imports and the expiry sweep record the
same updates and the same events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from seg_graphql.domain.history import EventAction, EventSource, MembershipEvent, event_of
from seg_graphql.domain.membership import Entry, Snapshot, UserStatus
from seg_graphql.domain.models import Principal, Segment
from seg_graphql.domain.user import User


@dataclass(frozen=True)
class Actor:
    """Who makes a change (None for the expiry sweep) and through what."""

    principal: Principal | None
    source: EventSource


@dataclass(frozen=True)
class ListAdd:
    segment: Segment
    user: User  # as read; for a user this change creates, User.created
    expires_at: datetime | None = None
    weight: float = 1.0
    data_bag: Any = None
    creates: bool = False  # the user does not exist yet: the write creates it
    note: str | None = None  # the event's description (an import names its line)
    event_id: Any = None  # a replayed import line records its event once (see EventStore)


@dataclass(frozen=True)
class ListRemove:
    segment: Segment
    user: User | None  # None: no such user (an import's DELETE of an unknown one)
    note: str | None = None
    event_id: Any = None


@dataclass(frozen=True)
class Override:
    """setUserStatus: applied only over an older version (see status_version)."""

    segment: Segment
    user: User
    status: UserStatus
    version: str
    status_at: datetime
    reference_id: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class DueUser:
    """A user the expiry sweep found due, as read: its entries by segment id and its stored
    next expiry (the sweep's write applies only if that is still the stored one)."""

    user_id: str
    entries: Mapping[int, Entry]
    next_expiry: datetime


@dataclass(frozen=True)
class Expire:
    """The expiry sweep's change of one user: off every list whose entry has expired."""

    user: DueUser


Change = ListAdd | ListRemove | Override | Expire


@dataclass(frozen=True)
class EntryUpdate:
    """What a change stores: the Entry attributes it sets in the user's entry of one segment
    (the others stay as stored: a list change keeps the override, and the reverse)."""

    user_id: str
    segment_id: int
    changes: Mapping[str, Any]  # Entry attribute -> value
    lower_next_expiry: datetime | None = None  # the user's next expiry becomes at most this
    create: User | None = None  # the user this write creates, if it does not exist
    newer_than: str | None = None  # applied only if the stored version is older (overrides)


@dataclass(frozen=True)
class Planned:
    update: EntryUpdate
    user: User  # as the update leaves it
    entry: Entry  # the entry as the update leaves it
    event: MembershipEvent | None  # None when the entry's state does not change


@dataclass(frozen=True)
class ExpiryUpdate:
    """The sweep's write to one user: entries taken off their lists, the next expiry
    recomputed; applied only if the user's next expiry is still `seen_next_expiry`."""

    user_id: str
    segment_ids: tuple[int, ...]
    next_expiry: datetime | None
    seen_next_expiry: datetime
    events: list[MembershipEvent] = field(default_factory=list)


def plan_change(change: Change, actor: Actor, at: datetime) -> Planned:
    """The update a change stores on `change.user` (as it stands before it) and its event."""
    segment_id = change.segment.id
    user = change.user
    changes: dict[str, Any]
    lower = create = newer_than = None
    extra: dict[str, Any]  # the event's details
    if isinstance(change, ListAdd):
        action = EventAction.LISTED
        changes = {
            "listed": True,
            "updated_at": at,
            "expires_at": change.expires_at,
            "weight": change.weight,
            "data_bag": change.data_bag,
        }
        lower = change.expires_at
        if change.creates:
            create = replace(user, created_at=at)
        extra = {"description": change.note}
    elif isinstance(change, ListRemove):
        action = EventAction.UNLISTED
        changes = {"listed": False, "updated_at": at}
        extra = {"description": change.note}
    else:
        override = None if change.status is UserStatus.RESET else change.status
        action = EventAction.OVERRIDE_RESET if override is None else EventAction.OVERRIDE_SET
        changes = {
            "override": override,
            "version": change.version,
            "reference_id": change.reference_id,
            "description": change.description,
            "status_at": change.status_at,
            "updated_at": at,
        }
        newer_than = change.version
        extra = {
            "reference_id": change.reference_id,
            "description": change.description,
            "status_at": change.status_at,
        }
    old = user.entry(segment_id)
    new = replace(old or Entry(), **changes)
    event = None
    if isinstance(change, Override) or _state(old) != _state(new):
        event = event_of(
            actor.principal,
            segment_id,
            user.user_id,
            at,
            action,
            old.snapshot(at) if old else Snapshot(),
            new.snapshot(at),
            actor.source,
            id=getattr(change, "event_id", None),
            **extra,
        )
    update = EntryUpdate(user.user_id, segment_id, changes, lower, create, newer_than)
    return Planned(update, (create or user).with_entry(segment_id, new), new, event)


def plan_expiry(due: DueUser, actor: Actor, now: datetime) -> ExpiryUpdate:
    """Takes the user off every list whose entry expired at `now`, with an EXPIRED event
    each, and recomputes the user's next expiry. With nothing expired (an entry removed or
    re-added before it expired leaves the stored next expiry behind) the update only moves
    the next expiry: a user left due would be found again by every pass of every sweep."""
    expired: list[tuple[int, Entry]] = []
    remaining: list[datetime] = []
    for segment_id, entry in due.entries.items():
        if not entry.listed or entry.expires_at is None:
            continue
        if entry.expires_at <= now:
            expired.append((segment_id, entry))
        else:
            remaining.append(entry.expires_at)
    events = [
        event_of(
            actor.principal,
            segment_id,
            due.user_id,
            now,
            EventAction.EXPIRED,
            Snapshot(entry.override, listed=True),
            Snapshot(entry.override, listed=False),
            actor.source,
        )
        for segment_id, entry in expired
    ]
    return ExpiryUpdate(
        user_id=due.user_id,
        segment_ids=tuple(segment_id for segment_id, _ in expired),
        next_expiry=min(remaining) if remaining else None,
        seen_next_expiry=due.next_expiry,
        events=events,
    )


def _state(entry: Entry | None) -> tuple:
    """What an event records a change of (an updatedAt alone is no change)."""
    if entry is None:
        return (None, False, None, 1.0, None)
    return (entry.override, entry.listed, entry.expires_at, entry.weight, entry.data_bag)
