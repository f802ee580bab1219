"""User output types: a profile, and pages of them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from seg_graphql.domain import user as domain
from seg_graphql.domain.history import HistoryOf
from seg_graphql.graphql.connections import Connection, Edge
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.membership.lazy import (
    MembershipEventConnectionRef,
    MembershipRef,
    resolved,
)
from seg_graphql.graphql.pagination import DEFAULT_FIRST, After, First
from seg_graphql.graphql.scalars import JSON
from seg_graphql.graphql.segments.types import Segment
from seg_graphql.services.membership import Membership as DomainMembership


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
    user: strawberry.Private[domain.User]

    @classmethod
    def from_domain(cls, user: domain.User) -> User:
        return cls(
            id=strawberry.ID(user.user_id),
            email=user.email,
            email_hash=user.email_hash,
            user_agent_id=user.user_agent_id,
            user_account_id=user.user_account_id,
            compartment_id=user.compartment_id,
            tier=user.tier,
            points=user.points,
            xp=user.xp,
            coins=user.coins,
            badges=list(user.badges or []),
            custom_fields=user.custom_fields or {},
            created_at=user.created_at,
            updated_at=user.updated_at,
            user=user,
        )

    @strawberry.field(description="The segments this user is in now.")
    async def segments(self, info: Info) -> list[Segment]:
        memberships = await _memberships(info, self.user)
        return [Segment.from_domain(m.segment) for m in memberships if m.is_member]

    @strawberry.field(
        description="Every segment this user is in, or has an override or list "
        "entry in, with state and reason."
    )
    async def memberships(self, info: Info) -> list[MembershipRef]:
        now = info.context.membership.now()
        membership = resolved(MembershipRef)
        return [
            membership.from_domain(m, now)
            for m in await _memberships(info, self.user)
            if m.is_member or m.entry is not None
        ]

    @strawberry.field(description="Membership changes of this user, newest first.")
    async def history(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> MembershipEventConnectionRef:
        return await resolved(MembershipEventConnectionRef).page(
            info, HistoryOf(user_id=self.user.user_id), first, after
        )


async def _memberships(info: Info, user: domain.User) -> list[DomainMembership]:
    segments = await info.context.all_segments()
    return info.context.membership.memberships_of(user, segments)


@strawberry.type(description="A user in a page of users.")
class UserEdge(Edge[User]):
    pass


@strawberry.type(description="A page of users, by userId (Relay connection).")
class UserConnection(Connection[User]):
    edges: list[UserEdge] = strawberry.field(description="The page's users with cursors.")
