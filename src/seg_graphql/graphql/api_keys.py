"""API keys in GraphQL: createApiKey, revokeApiKey, apiKeys (ADMIN, own tenant only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, TypeVar

import strawberry

from seg_graphql.domain.models import Role as DomainRole
from seg_graphql.domain.times import aware_utc
from seg_graphql.graphql.connections import CountedConnection, Edge, page_info
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.errors import payload_or_errors
from seg_graphql.graphql.pagination import (
    AFTER,
    DEFAULT_FIRST,
    FIRST,
    check_first,
    decode_key,
    encode_key,
)
from seg_graphql.graphql.scalars import Role
from seg_graphql.graphql.types import UserError
from seg_graphql.services.api_keys import ApiKeyService

P = TypeVar("P")


@strawberry.type(description="An API key's metadata; the secret itself is shown only once.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="Give it to revokeApiKey.")
    name: str | None = strawberry.field(description="The label given at creation.")
    prefix: str | None = strawberry.field(
        description="The key's first characters, to recognise it (null for keys made before "
        "prefixes were kept)."
    )
    role: Role = strawberry.field(description="What the key may do: ADMIN, EDITOR or VIEWER.")
    user_id: strawberry.ID | None = strawberry.field(description="The acting user, if any.")
    team_ids: list[strawberry.ID] = strawberry.field(description="The acting user's teams.")
    created_at: datetime = strawberry.field(description="When the key was made.")
    last_used_at: datetime | None = strawberry.field(
        description="Coarse: refreshed at most once a minute per server process."
    )
    expires_at: datetime | None = strawberry.field(description="Refused from then on.")
    revoked: bool = strawberry.field(description="True once revokeApiKey was called for it.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> ApiKey:
        return cls(
            id=strawberry.ID(doc["keyId"]),
            name=doc.get("name"),
            prefix=doc.get("prefix"),
            role=DomainRole(doc["role"]),
            user_id=strawberry.ID(doc["userId"]) if doc.get("userId") else None,
            team_ids=[strawberry.ID(t) for t in doc.get("teamIds") or []],
            created_at=aware_utc(doc["createdAt"]),
            last_used_at=aware_utc(doc.get("lastUsedAt")),
            expires_at=aware_utc(doc.get("expiresAt")),
            revoked=bool(doc.get("revoked")),
            revoked_at=aware_utc(doc.get("revokedAt")),
        )


@strawberry.type(description="An API key in a page of keys.")
class ApiKeyEdge(Edge[ApiKey]):
    pass


@strawberry.type(description="A page of API keys (Relay connection).")
class ApiKeyConnection(CountedConnection):
    edges: list[ApiKeyEdge] = strawberry.field(description="The page's keys with cursors.")

    @strawberry.field(description="The edges' nodes, for clients that need no cursors.")
    def nodes(self) -> list[ApiKey]:
        return [edge.node for edge in self.edges]


@strawberry.input(description="A new API key of your tenant.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="A label to recognise the key by.")
    role: Role = strawberry.field(description="What the key may do.")
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Acting user id (for editableBy ASSIGNED)."
    )
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The acting user's teams (at most 100)."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the key stops working; null = never."
    )


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


def _service(info: Info) -> ApiKeyService:
    return info.context.api_keys


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(description="Your tenant's API keys, oldest first (ADMIN only).")
    async def api_keys(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=FIRST)] = DEFAULT_FIRST,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> ApiKeyConnection:
        check_first(first)
        service = _service(info)
        keys, has_next = await service.page(after=decode_key("apikey", after), first=first)
        edges = [
            ApiKeyEdge(cursor=encode_key("apikey", str(doc["_id"])), node=ApiKey.from_document(doc))
            for doc in keys
        ]
        return ApiKeyConnection(
            edges=edges,
            page_info=page_info(
                [e.cursor for e in edges], has_next=has_next, has_previous=after is not None
            ),
            count_total=service.count,
        )


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(
        description="Creates an API key for your tenant (ADMIN only); its secret is returned "
        "once, here."
    )
    async def create_api_key(
        self,
        info: Info,
        input: Annotated[CreateApiKeyInput, strawberry.argument(description="The key to make.")],
    ) -> CreateApiKeyPayload:
        async def run() -> CreateApiKeyPayload:
            minted = await _service(info).create(
                {
                    "name": input.name,
                    "role": input.role,
                    "userId": input.user_id,
                    "teamIds": list(input.team_ids or []),
                    "expiresAt": input.expires_at,
                }
            )
            return CreateApiKeyPayload(
                api_key=ApiKey.from_document(minted.metadata), secret=minted.key
            )

        return await payload_or_errors(run, lambda e: CreateApiKeyPayload(user_errors=e))

    @strawberry.mutation(
        description="Revokes one of your tenant's keys (ADMIN only). Servers may accept it "
        "for up to SEG_AUTH_CACHE_SECONDS more (their authentication cache)."
    )
    async def revoke_api_key(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The key's id (ApiKey.id).")],
    ) -> RevokeApiKeyPayload:
        async def run() -> RevokeApiKeyPayload:
            revoked = await _service(info).revoke(str(id))
            return RevokeApiKeyPayload(api_key=ApiKey.from_document(revoked))

        return await payload_or_errors(run, lambda e: RevokeApiKeyPayload(user_errors=e))
