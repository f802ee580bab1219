"""Access output types: API keys, and who the key in use speaks for."""

from __future__ import annotations

from datetime import datetime

import strawberry

from seg_graphql.domain import api_key as domain
from seg_graphql.graphql.connections import Connection, Edge
from seg_graphql.graphql.scalars import Role


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
    def from_domain(cls, key: domain.ApiKey) -> ApiKey:
        return cls(
            id=strawberry.ID(key.key_id),
            name=key.name,
            prefix=key.prefix,
            role=key.role,
            user_id=strawberry.ID(key.user_id) if key.user_id else None,
            team_ids=[strawberry.ID(t) for t in key.team_ids],
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            expires_at=key.expires_at,
            revoked=key.revoked,
            revoked_at=key.revoked_at,
        )


@strawberry.type(description="An API key in a page of keys.")
class ApiKeyEdge(Edge[ApiKey]):
    pass


@strawberry.type(description="A page of API keys (Relay connection).")
class ApiKeyConnection(Connection[ApiKey]):
    edges: list[ApiKeyEdge] = strawberry.field(description="The page's keys with cursors.")


@strawberry.type(description="Who the API key speaks for.")
class Viewer:
    tenant: str = strawberry.field(
        description="The tenant every query and mutation of this key is confined to."
    )
    role: Role = strawberry.field(description="What the key may do.")
    user_id: strawberry.ID | None = strawberry.field(
        description="The user the key acts as, if any (ASSIGNED edits)."
    )
    team_ids: list[strawberry.ID] = strawberry.field(
        description="The teams the key acts for (ASSIGNED edits)."
    )
