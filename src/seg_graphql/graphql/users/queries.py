"""User queries: one user by userId or email, and pages of users."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.domain.errors import not_found
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.pagination import DEFAULT_FIRST, After, First, encode_key, start_key
from seg_graphql.graphql.users.types import User, UserConnection, UserEdge


@strawberry.type
class UserQuery:
    @strawberry.field(
        description="A user by userId or email (an argument containing '@' is "
        "tried as an email first, then as a userId)."
    )
    async def user(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="A userId, or an email.")],
    ) -> User | None:
        found = await info.context.users.resolve(id)
        if found is None:
            raise not_found("user", id[:80], ("id",))
        return User.from_domain(found)

    @strawberry.field(description="Users of your tenant, by userId.")
    async def users(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> UserConnection:
        after_user = start_key("user", first, after)
        service = info.context.users
        users, has_next = await service.page(after=after_user, first=first)
        return UserConnection.of(
            users,
            lambda u: UserEdge.at(encode_key("user", u.user_id), User.from_domain(u)),
            has_next=has_next,
            has_previous=after_user is not None,
            count_total=service.count,
        )
