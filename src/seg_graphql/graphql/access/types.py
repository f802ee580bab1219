"""Access output types: API keys, and who the key in use speaks for."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry

from seg_graphql.domain.models import Role as DomainRole
from seg_graphql.domain.times import aware_utc
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
