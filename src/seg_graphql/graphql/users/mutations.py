"""User mutations: profile upserts; per-item userErrors carry the item's index."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.graphql.arguments import to_data
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.errors import IN_ORDER, USER_ERRORS, UserError, user_errors_in
from seg_graphql.graphql.users.inputs import UserInput
from seg_graphql.graphql.users.types import User


@strawberry.type(description="The result of upsertUsers.")
class UpsertUsersPayload:
    users: list[User | None] = strawberry.field(default_factory=list, description=IN_ORDER)
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class UserMutation:
    @strawberry.mutation(
        description="Creates or updates user profiles (at most 500 per call). "
        "Good items are saved even when others fail."
    )
    @user_errors_in(UpsertUsersPayload)
    async def upsert_users(
        self,
        info: Info,
        users: Annotated[
            list[UserInput], strawberry.argument(description="The profiles (at most 500).")
        ],
    ) -> UpsertUsersPayload | None:
        result = await info.context.users.upsert([to_data(u) for u in users])
        return UpsertUsersPayload(
            users=[User.from_domain(u) if u else None for u in result.users],
            user_errors=[UserError.from_problem(p) for p in result.problems],
        )
