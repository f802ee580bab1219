"""An API key as the services and the API see it: who it speaks for, and its lifecycle.
store/api_keys.py reads and writes it; only a hash of the secret is ever stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from seg_graphql.domain.models import Principal, Role


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    tenant: str
    role: Role
    created_at: datetime
    position: str  # where the key sorts in its tenant's listing (the store's id, as text)
    user_id: str | None = None
    team_ids: tuple[str, ...] = ()
    name: str | None = None
    prefix: str | None = None  # the secret's first characters, to recognise the key by
    created_by: str | None = None  # the key id (or operator path) that made it
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked: bool = False
    revoked_at: datetime | None = None

    def principal(self) -> Principal:
        return Principal(
            tenant=self.tenant,
            role=self.role,
            user_id=self.user_id,
            team_ids=frozenset(self.team_ids),
            key_id=self.key_id,
        )
