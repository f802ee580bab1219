"""GraphQL types for users, memberships and their history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry

from seg_graphql.domain.errors import bad_input
from seg_graphql.domain.history import HistoryOf
from seg_graphql.domain.membership import Entry
from seg_graphql.domain.membership import MembershipState as DomainState
from seg_graphql.domain.times import aware_utc
from seg_graphql.graphql.connections import CountedConnection, Edge, page_info
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.pagination import (
    AFTER,
    DEFAULT_FIRST,
    FIRST,
    check_first,
    decode_key,
    encode_key,
)
from seg_graphql.graphql.scalars import (
    JSON,
    EventAction,
    EventSource,
    MembershipSource,
    MembershipState,
    UnixTimestamp,
    UserStatus,
)
from seg_graphql.graphql.types import Segment
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
            status_change_timestamp=int(entry.status_at.timestamp()) if entry.status_at else None,
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
        doc = await info.context.user_loader.load(self.user_id)
        return User.from_document(doc) if doc else None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> MembershipEvent:
        status_at = doc.get("statusAt")
        return cls(
            id=strawberry.ID(str(doc["_id"])),
            segment_id=strawberry.ID(str(doc["segmentId"])),
            user_id=doc["userId"],
            at=doc["at"].replace(tzinfo=UTC),
            action=EventAction(doc["action"]),
            before=_snapshot(doc.get("before")),
            after=_snapshot(doc.get("after")),
            source=EventSource(doc["source"]),
            actor_key_id=doc.get("actorKeyId"),
            actor_user_id=doc.get("actorUserId"),
            reference_id=doc.get("referenceId"),
            description=doc.get("description"),
            status_change_timestamp=int(status_at.replace(tzinfo=UTC).timestamp())
            if status_at
            else None,
        )


def _snapshot(doc: dict[str, Any] | None) -> MembershipSnapshot:
    doc = doc or {}
    override = doc.get("override")
    return MembershipSnapshot(
        override=UserStatus(override) if override else None, listed=bool(doc.get("listed"))
    )


@strawberry.type(description="A membership change in a page of history.")
class MembershipEventEdge(Edge[MembershipEvent]):
    pass


@strawberry.type(description="A page of membership changes, newest first (Relay connection).")
class MembershipEventConnection(CountedConnection):
    edges: list[MembershipEventEdge] = strawberry.field(
        description="The page's events with cursors."
    )

    @strawberry.field(description="The edges' nodes, for clients that need no cursors.")
    def nodes(self) -> list[MembershipEvent]:
        return [edge.node for edge in self.edges]


async def history_connection(
    info: Info, about: HistoryOf, first: int, after: str | None
) -> MembershipEventConnection:
    check_first(first)
    before = decode_key("event", after)
    if before is not None and not _is_object_id(before):
        raise bad_input("not a valid cursor for this list", ("after",))
    membership = info.context.membership
    docs = await membership.history_page(about, before=before, limit=first + 1)
    edges = [
        MembershipEventEdge(
            cursor=encode_key("event", str(d["_id"])), node=MembershipEvent.from_document(d)
        )
        for d in docs[:first]
    ]
    return MembershipEventConnection(
        edges=edges,
        page_info=page_info(
            [e.cursor for e in edges], has_next=len(docs) > first, has_previous=before is not None
        ),
        count_total=lambda: membership.history_count(about),
    )


def _is_object_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)


@strawberry.type(description="A user profile: the audience segments are made of.")
class User:
    id: strawberry.ID = strawberry.field(description="The userId (unique per tenant).")
    email: str | None = strawberry.field(
        description="Unique per tenant; matched case-insensitively."
    )
    email_hash: str | None = strawberry.field(
        description="An import identifier (mediarithmics email_hash)."
    )
    user_agent_id: str | None = strawberry.field(
        description="An import identifier (mediarithmics user_agent_id)."
    )
    user_account_id: str | None = strawberry.field(
        description="An import identifier, unique with compartmentId (mediarithmics "
        "user_account_id)."
    )
    compartment_id: str | None = strawberry.field(description="The compartment of userAccountId.")
    tier: str | None = strawberry.field(description="Loyalty tier, e.g. gold.")
    points: float | None = strawberry.field(description="Loyalty points.")
    xp: float | None = strawberry.field(description="Experience points.")
    coins: float | None = strawberry.field(description="Coin balance.")
    badges: list[str] = strawberry.field(description="Badges earned; empty when none.")
    custom_fields: JSON = strawberry.field(
        description="Any other profile fields, as a JSON object (criteria: customFields.<name>)."
    )
    created_at: datetime | None = strawberry.field(
        description="Account creation; defaults to the first upsert."
    )
    updated_at: datetime | None = strawberry.field(description="When the profile last changed.")
    doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> User:
        return cls(
            id=strawberry.ID(doc["userId"]),
            email=doc.get("email"),
            email_hash=doc.get("emailHash"),
            user_agent_id=doc.get("userAgentId"),
            user_account_id=doc.get("userAccountId"),
            compartment_id=doc.get("compartmentId"),
            tier=doc.get("tier"),
            points=doc.get("points"),
            xp=doc.get("xp"),
            coins=doc.get("coins"),
            badges=list(doc.get("badges") or []),
            custom_fields=doc.get("customFields") or {},
            created_at=aware_utc(doc.get("createdAt")),
            updated_at=aware_utc(doc.get("updatedAt")),
            doc=doc,
        )

    @strawberry.field(description="The segments this user is in now.")
    async def segments(self, info: Info) -> list[Segment]:
        memberships = await _memberships(info, self.doc)
        return [Segment.from_domain(m.segment) for m in memberships if m.is_member]

    @strawberry.field(
        description="Every segment this user is in, or has an override or list "
        "entry in, with state and reason."
    )
    async def memberships(self, info: Info) -> list[Membership]:
        now = info.context.membership.now()
        return [
            Membership.from_domain(m, now)
            for m in await _memberships(info, self.doc)
            if m.is_member or m.entry is not None
        ]

    @strawberry.field(description="Membership changes of this user, newest first.")
    async def history(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=FIRST)] = DEFAULT_FIRST,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> MembershipEventConnection:
        return await history_connection(info, HistoryOf(user_id=self.doc["userId"]), first, after)


async def _memberships(info: Info, doc: dict[str, Any]) -> list[DomainMembership]:
    segments = await info.context.all_segments()
    return info.context.membership.memberships_of(doc, segments)


@strawberry.type(description="A user in a page of users.")
class UserEdge(Edge[User]):
    pass


@strawberry.type(description="A page of users, by userId (Relay connection).")
class UserConnection(CountedConnection):
    edges: list[UserEdge] = strawberry.field(description="The page's users with cursors.")

    @strawberry.field(description="The edges' nodes, for clients that need no cursors.")
    def nodes(self) -> list[User]:
        return [edge.node for edge in self.edges]


def user_connection(
    docs: list[dict[str, Any]], *, has_next: bool, has_previous: bool, count_total: Any
) -> UserConnection:
    edges = [
        UserEdge(cursor=encode_key("user", d["userId"]), node=User.from_document(d)) for d in docs
    ]
    return UserConnection(
        edges=edges,
        page_info=page_info(
            [e.cursor for e in edges], has_next=has_next, has_previous=has_previous
        ),
        count_total=count_total,
    )
