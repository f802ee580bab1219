"""Segment output types. Built eagerly from domain objects: plain attributes resolve fastest."""

from __future__ import annotations

from datetime import datetime

import strawberry

from seg_graphql.domain import models
from seg_graphql.domain.fql import rules_to_fql_text
from seg_graphql.domain.history import HistoryOf
from seg_graphql.graphql.connections import Connection, Edge
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.membership.lazy import (
    MemberConnectionRef,
    MembershipEventConnectionRef,
    resolved,
)
from seg_graphql.graphql.pagination import DEFAULT_FIRST, After, First
from seg_graphql.graphql.scalars import JSON, EditableBy, LinkType, Operator, SegmentType


@strawberry.type(description="One condition on a user profile: {field, operator, value}.")
class Criterion:
    field: str = strawberry.field(
        description="A profile field: tier, points, xp, coins, badges, email, createdAt, "
        "updatedAt, customFields.<name>, or segment (membership of another segment, by id)."
    )
    operator: Operator = strawberry.field(description="How the field is compared with the value.")
    value: JSON | None = strawberry.field(
        description="What the field is compared with; a list for IN/NOT_IN, null for "
        "EXISTS/NOT_EXISTS."
    )


@strawberry.type(
    description="A user is in a dynamic segment when it matches ALL include "
    "criteria and NONE of the exclude criteria."
)
class Rules:
    include: list[Criterion] = strawberry.field(description="All must match (at most 20).")
    exclude: list[Criterion] = strawberry.field(description="None may match (at most 20).")


@strawberry.type(description="A team or user attached to a segment (Feedier links).")
class SegmentLink:
    id: strawberry.ID = strawberry.field(description="The link's id, for detachSegmentLink.")
    type: LinkType = strawberry.field(description="Whether the link names a team or a user.")
    target_id: strawberry.ID = strawberry.field(description="The linked team's or user's id.")
    created_at: datetime = strawberry.field(description="When the link was attached.")


@strawberry.type(
    description="A set of users: a static list, dynamic rules, or both, plus per-user "
    "overrides. Segment ids are short integers, sequential per tenant."
)
class Segment:
    id: strawberry.ID = strawberry.field(
        description="Sequential per tenant (1, 2, 3...), as in the seed APIs; not global."
    )
    technical_name: str = strawberry.field(
        description="Unique per tenant; imports may name a segment by it."
    )
    name: str = strawberry.field(description="Display name.")
    description: str | None = strawberry.field(description="Free text for people; not evaluated.")
    type: SegmentType = strawberry.field(description="STATIC (a list) or DYNAMIC (rules).")
    url: str | None = strawberry.field(description="Informational only; never evaluated.")
    team_id: strawberry.ID | None = strawberry.field(
        description="The owning team, if any (filterable)."
    )
    is_default: bool = strawberry.field(
        description="Marks a tenant's default segment(s); informational."
    )
    editable_by: EditableBy = strawberry.field(
        description="Who may change this segment and its memberships."
    )
    estimated_size: int = strawberry.field(
        description="STATIC: the number of users on the list, kept live. DYNAMIC: a periodic "
        "estimate of the members, 0 at creation, recounted soon after a change of criteria "
        "(estimatedSizeUpdatedAt is null until then) and then every refresh interval."
    )
    estimated_size_updated_at: datetime | None = strawberry.field(
        description="When estimatedSize was last computed; null until the first refresh."
    )
    created_at: datetime = strawberry.field(description="When the segment was created.")
    updated_at: datetime = strawberry.field(
        description="When the segment itself last changed (not its members)."
    )
    domain: strawberry.Private[models.Segment]

    # Rules, FQL and links are built only when selected: they are most of the cost of a
    # segment, and list queries rarely ask for them.
    @strawberry.field(description="The include/exclude criteria (empty for most STATIC segments).")
    def rules(self) -> Rules:
        rules = self.domain.rules
        return Rules(
            include=[_criterion(c) for c in rules.include],
            exclude=[_criterion(c) for c in rules.exclude],
        )

    @strawberry.field(
        description="A DYNAMIC segment without criteria: it selects every user of the tenant "
        "(created or updated with matchAll: true). Always false for STATIC segments."
    )
    def match_all(self) -> bool:
        return self.domain.type is models.SegmentType.DYNAMIC and self.domain.rules.is_empty

    @strawberry.field(description="The rules as FQL (Mongo-like JSON), as text.")
    def fql(self) -> str:
        return rules_to_fql_text(self.domain.rules)

    @strawberry.field(description="Teams and users linked to the segment (at most 100).")
    def links(self) -> list[SegmentLink]:
        return [
            SegmentLink(
                id=strawberry.ID(str(link.id)),
                type=link.type,
                target_id=strawberry.ID(link.target_id),
                created_at=link.created_at,
            )
            for link in self.domain.links
        ]

    @strawberry.field(description="Exact, live: overrides, lists, rules and expiry applied.")
    async def user_count(self, info: Info) -> int:
        info.context.segment_loader.prime(self.domain.id, self.domain)
        return await info.context.member_count_loader.load(self.domain.id)

    @strawberry.field(description="The users in this segment now, by userId.")
    async def members(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> MemberConnectionRef:
        return await resolved(MemberConnectionRef).of_segment(info, self.domain, first, after)

    @strawberry.field(description="Membership changes in this segment, newest first.")
    async def history(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> MembershipEventConnectionRef:
        return await resolved(MembershipEventConnectionRef).page(
            info, HistoryOf(segment_id=self.domain.id), first, after
        )

    @classmethod
    def from_domain(cls, segment: models.Segment) -> Segment:
        # Every field filled in one dict, past the dataclass __init__: binding 14 keywords was
        # half of a segment list's resolver time. The type has no defaults or __post_init__ to
        # run; tests/unit/test_segment_type.py holds this equal to the constructor's result.
        built = object.__new__(cls)
        built.__dict__ = {
            "id": str(segment.id),
            "technical_name": segment.technical_name,
            "name": segment.name,
            "description": segment.description,
            "type": segment.type,
            "url": segment.url,
            "team_id": segment.team_id or None,
            "is_default": segment.is_default,
            "editable_by": segment.editable_by,
            "estimated_size": segment.estimated_size,
            "estimated_size_updated_at": segment.estimated_size_updated_at,
            "created_at": segment.created_at,
            "updated_at": segment.updated_at,
            "domain": segment,
        }
        return built


def _criterion(c: models.Criterion) -> Criterion:
    return Criterion(field=c.field, operator=c.operator, value=c.value)


@strawberry.type(description="A segment in a page of segments.")
class SegmentEdge(Edge[Segment]):
    pass


@strawberry.type(description="A page of segments (Relay connection).")
class SegmentConnection(Connection[Segment]):
    edges: list[SegmentEdge] = strawberry.field(description="The page's segments with cursors.")
