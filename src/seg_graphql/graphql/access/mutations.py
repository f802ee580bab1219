"""Access mutations: createApiKey, revokeApiKey (ADMIN, own tenant only)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.graphql.access.inputs import CreateApiKeyInput
from seg_graphql.graphql.access.types import ApiKey
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.errors import UserError, user_errors_in


@strawberry.type(description="The key made, its secret (shown once), or why it was not.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(default=None, description="The key's metadata.")
    secret: str | None = strawberry.field(
        default=None,
        description="The key to send as 'Authorization: Bearer <secret>'. Shown only here: "
        "only a hash is stored.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why the key was not made (empty on success)."
    )


@strawberry.type(description="The key revoked, or why it was not.")
class RevokeApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(default=None, description="The revoked key.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why the key was not revoked (empty on success)."
    )


@strawberry.type
class AccessMutation:
    @strawberry.mutation(
        description="Creates an API key for your tenant (ADMIN only); its secret is returned "
        "once, here."
    )
    @user_errors_in(CreateApiKeyPayload)
    async def create_api_key(
        self,
        info: Info,
        input: Annotated[CreateApiKeyInput, strawberry.argument(description="The key to make.")],
    ) -> CreateApiKeyPayload:
        minted = await info.context.api_keys.create(
            {
                "name": input.name,
                "role": input.role,
                "userId": input.user_id,
                "teamIds": list(input.team_ids or []),
                "expiresAt": input.expires_at,
            }
        )
        return CreateApiKeyPayload(api_key=ApiKey.from_domain(minted.api_key), secret=minted.key)

    @strawberry.mutation(
        description="Revokes one of your tenant's keys (ADMIN only). Servers may accept it "
        "for up to SEG_AUTH_CACHE_SECONDS more (their authentication cache)."
    )
    @user_errors_in(RevokeApiKeyPayload)
    async def revoke_api_key(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The key's id (ApiKey.id).")],
    ) -> RevokeApiKeyPayload:
        revoked = await info.context.api_keys.revoke(str(id))
        return RevokeApiKeyPayload(api_key=ApiKey.from_domain(revoked))
