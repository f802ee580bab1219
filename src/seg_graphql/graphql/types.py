"""GraphQL output types. Built eagerly from domain objects: plain attributes resolve fastest."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from seg_graphql.domain import models
from seg_graphql.domain.errors import Problem
from seg_graphql.domain.fql import rules_to_fql_text
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.pagination import DEFAULT_FIRST
from seg_graphql.graphql.scalars import (
    JSON,
    EditableBy,
    ErrorCode,
    LinkType,
    Operator,
    Role,
    SegmentType,
)

if TYPE_CHECKING:
    from seg_graphql.graphql.members import MemberConnection
    from seg_graphql.graphql.membership_types import MembershipEventConnection


@strawberry.type(description="One condition on a user profile: {field, operator, value}.")
class Criterion:
    field: str
    operator: Operator
    value: JSON | None


@strawberry.type(
    description="A user is in a dynamic segment when it matches ALL include "
    "criteria and NONE of the exclude criteria."
)
class Rules:
    include: list[Criterion]
    exclude: list[Criterion]


@strawberry.type(description="A team or user attached to a segment (Feedier links).")
class SegmentLink:
    id: strawberry.ID
    type: LinkType
    target_id: strawberry.ID = strawberry.field(description="The linked team's or user's id.")
    created_at: datetime


@strawberry.type
class Segment:
    id: strawberry.ID = strawberry.field(description="Sequential per tenant.")
    technical_name: str = strawberry.field(
        description="Unique per tenant; imports may name a segment by it."
    )
    name: str
    description: str | None
    type: SegmentType
    url: str | None = strawberry.field(description="Informational only; never evaluated.")
    team_id: strawberry.ID | None
    is_default: bool
    editable_by: EditableBy
    estimated_size: int = strawberry.field(
        description="STATIC: the number of users on the list, kept live. DYNAMIC: a periodic "
        "estimate of the members, 0 at creation, recounted soon after a change of criteria "
        "(estimatedSizeUpdatedAt is null until then) and then every refresh interval."
    )
    estimated_size_updated_at: datetime | None
    created_at: datetime
    updated_at: datetime
    domain: strawberry.Private[models.Segment]

    # Rules, FQL and links are built only when selected: they are most of the cost of a
    # segment, and list queries rarely ask for them.
    @strawberry.field
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

    @strawberry.field
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
        self, info: Info, first: int = DEFAULT_FIRST, after: str | None = None
    ) -> Annotated[MemberConnection, strawberry.lazy("seg_graphql.graphql.members")]:
        from seg_graphql.graphql.members import member_connection

        return await member_connection(info, self.domain, first, after)

    @strawberry.field(description="Membership changes in this segment, newest first.")
    async def history(
        self, info: Info, first: int = DEFAULT_FIRST, after: str | None = None
    ) -> Annotated[
        MembershipEventConnection, strawberry.lazy("seg_graphql.graphql.membership_types")
    ]:
        from seg_graphql.graphql.membership_types import history_connection

        return await history_connection(info, {"segmentId": self.domain.id}, first, after)

    @classmethod
    def from_domain(cls, segment: models.Segment) -> Segment:
        return cls(
            id=strawberry.ID(str(segment.id)),
            technical_name=segment.technical_name,
            name=segment.name,
            description=segment.description,
            type=segment.type,
            url=segment.url,
            team_id=strawberry.ID(segment.team_id) if segment.team_id else None,
            is_default=segment.is_default,
            editable_by=segment.editable_by,
            estimated_size=segment.estimated_size,
            estimated_size_updated_at=segment.estimated_size_updated_at,
            created_at=segment.created_at,
            updated_at=segment.updated_at,
            domain=segment,
        )


def _criterion(c: models.Criterion) -> Criterion:
    return Criterion(field=c.field, operator=c.operator, value=c.value)


@strawberry.type(
    description="An expected problem with the input: the path of the bad field, "
    "a message and a code."
)
class UserError:
    field: str | None = strawberry.field(
        description="Dotted path of the bad field, e.g. input.rules.include.0.value."
    )
    path: list[str] = strawberry.field(description="The same path as a list (the seeds' loc).")
    message: str
    code: ErrorCode

    @classmethod
    def from_problem(cls, problem: Problem) -> UserError:
        return cls(
            field=problem.field,
            path=[str(p) for p in problem.path],
            message=problem.message,
            code=problem.code,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="Who the API key speaks for.")
class Viewer:
    tenant: str
    role: Role
    user_id: strawberry.ID | None
    team_ids: list[strawberry.ID]
