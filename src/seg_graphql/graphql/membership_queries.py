"""Queries on users and memberships."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.domain.errors import not_found
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.membership_types import Membership, User, UserConnection, user_connection
from seg_graphql.graphql.pagination import AFTER, DEFAULT_FIRST, FIRST, check_first, decode_key
from seg_graphql.graphql.queries import parse_id


@strawberry.type(description="A real-time answer: is this user in these segments?")
class MembershipCheck:
    user: User = strawberry.field(description="The user, as found by userId or email.")
    memberships: list[Membership] = strawberry.field(description="In the order asked for.")


@strawberry.type
class MembershipQuery:
    @strawberry.field(
        description="A user by userId or email (an argument containing '@' is "
        "tried as an email first, then as a userId)."
    )
    async def user(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="A userId, or an email.")],
    ) -> User | None:
        doc = await info.context.users.resolve(id)
        if doc is None:
            raise not_found("user", id[:80], ("id",))
        return User.from_document(doc)

    @strawberry.field(description="Users of your tenant, by userId.")
    async def users(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=FIRST)] = DEFAULT_FIRST,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> UserConnection:
        check_first(first)
        after_user = decode_key("user", after)
        service = info.context.users
        docs, has_next = await service.page(after=after_user, first=first)
        return user_connection(
            docs, has_next=has_next, has_previous=after_user is not None, count_total=service.count
        )

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
            user=User.from_document(user),
            memberships=[Membership.from_domain(m, now) for m in memberships],
        )
