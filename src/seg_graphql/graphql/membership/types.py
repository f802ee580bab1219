"""Membership output types: a user's membership of a segment, its history, a segment's
members, and the answer of a membership check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from seg_graphql.domain import models
from seg_graphql.domain.errors import bad_input
from seg_graphql.domain.history import HistoryOf
from seg_graphql.domain.history import MembershipEvent as DomainEvent
from seg_graphql.domain.membership import Entry
from seg_graphql.domain.membership import MembershipState as DomainState
from seg_graphql.domain.membership import Snapshot as DomainSnapshot
from seg_graphql.domain.times import to_unix_seconds
from seg_graphql.graphql.connections import Connection, Edge
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.pagination import encode_key, start_key
from seg_graphql.graphql.scalars import (
    JSON,
    EventAction,
    EventSource,
    MembershipSource,
    MembershipState,
    UnixTimestamp,
    UserStatus,
)
from seg_graphql.graphql.segments.types import Segment
from seg_graphql.graphql.users.types import User
from seg_graphql.services.membership import MemberPageKey
from seg_graphql.services.membership import Membership as DomainMembership


@strawberry.type(
    description="A user's membership of one segment: whether, why, and the "
    "explicit state (override, list entry) behind it."
)
class Membership:
    segment: Segment = strawberry.field(description="The segment this membership is of.")
    is_member: bool = strawberry.field(description="Whether the user is in the segment now.")
    state: MembershipState = strawberry.field(description="Why the user is in the segment or not.")
    source: MembershipSource | None = strawberry.field(
        description="What makes the user a member (or keeps them out, for OVERRIDE with "
        "BLOCK); null when nothing does."
    )
    override: UserStatus | None = strawberry.field(
        description="The ADD or BLOCK override in force (setUserStatus), or null."
    )
    listed: bool = strawberry.field(description="On the segment's list and not expired.")
    expires_at: datetime | None = strawberry.field(
        description="When the list entry expires; null when not listed or it never expires."
    )
    weight: float = strawberry.field(
        description="The list entry's weight, 0 to 1; 1 when not listed."
    )
    data_bag: JSON | None = strawberry.field(
        description="The list entry's JSON data bag (at most 16 KB), or null."
    )
    reference_id: str | None = strawberry.field(
        description="referenceId of the status change in force."
    )
    description: str | None = strawberry.field(
        description="description of the status change in force."
    )
    status_change_timestamp: UnixTimestamp | None = strawberry.field(
        description="Unix seconds of the status change in force."
    )
    updated_at: datetime | None = strawberry.field(
        description="When the user's explicit state in this segment last changed; null if "
        "it never had any."
    )

    @classmethod
    def build(
        cls, segment: Any, state: DomainState, entry: Entry | None, now: datetime
    ) -> Membership:
        entry = entry or Entry()
        return cls(
            segment=Segment.from_domain(segment),
            is_member=state in (DomainState.ADDED, DomainState.LISTED, DomainState.MATCHED),
            state=state,
            source=_SOURCES.get(state),
            override=entry.override,
            listed=entry.listed_live(now),
            expires_at=entry.expires_at if entry.listed else None,
            weight=entry.weight if entry.listed_live(now) else 1.0,
            data_bag=entry.data_bag if entry.listed else None,
            reference_id=entry.reference_id,
            description=entry.description,
            status_change_timestamp=to_unix_seconds(entry.status_at) if entry.status_at else None,
            updated_at=entry.updated_at,
        )

    @classmethod
    def from_domain(cls, membership: DomainMembership, now: datetime) -> Membership:
        return cls.build(membership.segment, membership.state, membership.entry, now)


_SOURCES = {
    DomainState.ADDED: MembershipSource.OVERRIDE,
    DomainState.BLOCKED: MembershipSource.OVERRIDE,
    DomainState.LISTED: MembershipSource.LIST,
    DomainState.MATCHED: MembershipSource.RULES,
}


@strawberry.type(description="A user's membership state as a history event records it.")
class MembershipSnapshot:
    override: UserStatus | None = strawberry.field(
        description="The ADD or BLOCK override, or null."
    )
    listed: bool = strawberry.field(
        description="Whether the user was on the segment's list (and not expired)."
    )


@strawberry.type(description="One change of a user's membership of a segment.")
class MembershipEvent:
    id: strawberry.ID = strawberry.field(description="The event's id.")
    segment_id: strawberry.ID = strawberry.field(
        description="The segment's id (kept after the segment is deleted)."
    )
    user_id: str = strawberry.field(description="The user's userId.")
    at: datetime = strawberry.field(description="When the change was recorded.")
    action: EventAction = strawberry.field(description="What the change did.")
    before: MembershipSnapshot = strawberry.field(
        description="The explicit state before the change."
    )
    after: MembershipSnapshot = strawberry.field(description="The explicit state after the change.")
    source: EventSource = strawberry.field(description="What made the change.")
    actor_key_id: str | None = strawberry.field(
        description="The API key that made it; null for the expiry sweep."
    )
    actor_user_id: str | None = strawberry.field(description="That key's user, if it has one.")
    reference_id: str | None = strawberry.field(
        description="The change's referenceId (setUserStatus metadata)."
    )
    description: str | None = strawberry.field(
        description="The change's description (setUserStatus metadata; for imports, the "
        "job and line)."
    )
    status_change_timestamp: UnixTimestamp | None = strawberry.field(
        description="Unix seconds the status change carried (setUserStatus), or null."
    )

    @strawberry.field(description="The segment, unless it has since been deleted.")
    async def segment(self, info: Info) -> Segment | None:
        found = await info.context.segment_loader.load(int(self.segment_id))
        return Segment.from_domain(found) if found else None

    @strawberry.field(description="The user's profile now.")
    async def user(self, info: Info) -> User | None:
        found = await info.context.user_loader.load(self.user_id)
        return User.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, event: DomainEvent) -> MembershipEvent:
        return cls(
            id=strawberry.ID(str(event.id)),
            segment_id=strawberry.ID(str(event.segment_id)),
            user_id=event.user_id,
            at=event.at,
            action=EventAction(event.action),
            before=_snapshot(event.before),
            after=_snapshot(event.after),
            source=EventSource(event.source),
            actor_key_id=event.actor_key_id,
            actor_user_id=event.actor_user_id,
            reference_id=event.reference_id,
            description=event.description,
            status_change_timestamp=to_unix_seconds(event.status_at) if event.status_at else None,
        )


def _snapshot(snapshot: DomainSnapshot) -> MembershipSnapshot:
    override = UserStatus(snapshot.override) if snapshot.override else None
    return MembershipSnapshot(override=override, listed=snapshot.listed)


@strawberry.type(description="A membership change in a page of history.")
class MembershipEventEdge(Edge[MembershipEvent]):
    pass


@strawberry.type(description="A page of membership changes, newest first (Relay connection).")
class MembershipEventConnection(Connection[MembershipEvent]):
    edges: list[MembershipEventEdge] = strawberry.field(
        description="The page's events with cursors."
    )

    @classmethod
    async def page(
        cls, info: Info, about: HistoryOf, first: int, after: str | None
    ) -> MembershipEventConnection:
        before = start_key("event", first, after)
        if before is not None and not _is_object_id(before):
            raise bad_input("not a valid cursor for this list", ("after",))
        membership = info.context.membership
        events = await membership.history_page(about, before=before, limit=first + 1)
        return cls.of(
            events[:first],
            lambda e: MembershipEventEdge.at(
                encode_key("event", str(e.id)), MembershipEvent.from_domain(e)
            ),
            has_next=len(events) > first,
            has_previous=before is not None,
            count_total=lambda: membership.history_count(about),
        )


def _is_object_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)


@strawberry.type(description="A member in a page of a segment's members.")
class MemberEdge(Edge[User]):
    pass


@strawberry.type(description="A page of a segment's members, by userId (Relay connection).")
class MemberConnection(Connection[User]):
    edges: list[MemberEdge] = strawberry.field(description="The page's members with cursors.")

    @strawberry.field(description="All members, across pages (the segment's userCount).")
    async def total_count(self) -> int:
        return await self.count_total()

    @classmethod
    async def of_segment(
        cls, info: Info, segment: models.Segment, first: int, after: str | None
    ) -> MemberConnection:
        """segment.members: batched across segments by the member page loader."""
        after_user = start_key("member", first, after)
        info.context.segment_loader.prime(segment.id, segment)
        users, has_next = await info.context.member_page_loader.load(
            MemberPageKey(segment.id, first, after_user)
        )
        return cls.of(
            users,
            lambda u: MemberEdge.at(encode_key("member", u.user_id), User.from_domain(u)),
            has_next=has_next,
            has_previous=after_user is not None,
            count_total=lambda: info.context.member_count_loader.load(segment.id),
        )


@strawberry.type(description="A real-time answer: is this user in these segments?")
class MembershipCheck:
    user: User = strawberry.field(description="The user, as found by userId or email.")
    memberships: list[Membership] = strawberry.field(description="In the order asked for.")
