"""Access queries: apiKeys (ADMIN, own tenant only) and viewer."""

from __future__ import annotations

import strawberry

from seg_graphql.graphql.access.types import ApiKey, ApiKeyConnection, ApiKeyEdge, Viewer
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.pagination import DEFAULT_FIRST, After, First, encode_key, start_key


@strawberry.type
class AccessQuery:
    @strawberry.field(description="Your tenant's API keys, oldest first (ADMIN only).")
    async def api_keys(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> ApiKeyConnection:
        start = start_key("apikey", first, after)
        service = info.context.api_keys
        keys, has_next = await service.page(after=start, first=first)
        return ApiKeyConnection.of(
            keys,
            lambda key: ApiKeyEdge.at(encode_key("apikey", key.position), ApiKey.from_domain(key)),
            has_next=has_next,
            has_previous=after is not None,
            count_total=service.count,
        )

    @strawberry.field(description="The tenant, role and identity of the API key in use.")
    def viewer(self, info: Info) -> Viewer:
        p = info.context.principal
        return Viewer(
            tenant=p.tenant,
            role=p.role,
            user_id=strawberry.ID(p.user_id) if p.user_id else None,
            team_ids=[strawberry.ID(t) for t in sorted(p.team_ids)],
        )
