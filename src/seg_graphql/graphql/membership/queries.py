"""Membership queries: is this user in these segments, and why."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.graphql.arguments import parse_id
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.membership.types import Membership, MembershipCheck
from seg_graphql.graphql.users.types import User


@strawberry.type
class MembershipQuery:
    @strawberry.field(
        description="Whether one user is in each of up to 100 segments, and why. "
        "One read of the user document answers every segment."
    )
    async def membership(
        self,
        info: Info,
        user_id: Annotated[str, strawberry.argument(description="A userId, or an email.")],
        segment_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="The segments to check (at most 100)."),
        ],
    ) -> MembershipCheck:
        ids = [parse_id(i, path="segmentIds") for i in segment_ids]
        service = info.context.membership
        user, memberships = await service.check(user_id, ids, info.context.segments_by_id)
        now = service.now()
        return MembershipCheck(
            user=User.from_domain(user),
            memberships=[Membership.from_domain(m, now) for m in memberships],
        )
