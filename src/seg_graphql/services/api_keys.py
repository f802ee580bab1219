"""API key management for a tenant's admins (and the operator's CLI): create, revoke, list.

A key is only ever made for the caller's own tenant; a tenant's first key comes from an
operator path (the CLI on the database, or `serve --tenant`), never from another tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from seg_graphql.domain.api_key import ApiKey
from seg_graphql.domain.errors import bad_input, not_found
from seg_graphql.domain.inputs import ExternalId, Name, parse_model
from seg_graphql.domain.models import Role
from seg_graphql.domain.times import aware_utc
from seg_graphql.services.auth import MintedKey, mint_key, require_role
from seg_graphql.services.scope import Scope
from seg_graphql.store.api_keys import UnknownPosition

MAX_TEAMS = 100
KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{12}$")]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Name
    role: Role
    user_id: ExternalId | None = Field(default=None, alias="userId")
    team_ids: list[ExternalId] = Field(default_factory=list, alias="teamIds", max_length=MAX_TEAMS)
    expires_at: datetime | None = Field(default=None, alias="expiresAt")

    @field_validator("team_ids")
    @classmethod
    def _distinct(cls, teams: list[str]) -> list[str]:
        return sorted(set(teams))


class ApiKeyService:
    def __init__(self, scope: Scope) -> None:
        self.principal = scope.principal
        self._all = scope.all_api_keys
        self._own = scope.api_keys
        self._now = scope.now

    async def create(self, data: Mapping[str, Any]) -> MintedKey:
        require_role(self.principal, Role.ADMIN)
        parsed = parse_model(ApiKeyCreate, data, ("input",))
        if parsed.expires_at is not None:
            expires_at = aware_utc(parsed.expires_at)
            if expires_at is not None and expires_at <= self._now() + timedelta(seconds=1):
                raise bad_input("expiresAt must be in the future", ("input", "expiresAt"))
        return await mint_key(
            self._all,
            tenant=self.principal.tenant,
            role=parsed.role,
            user_id=parsed.user_id,
            team_ids=parsed.team_ids,
            name=parsed.name,
            expires_at=parsed.expires_at,
            now=self._now(),
            created_by=self.principal.key_id,
        )

    async def revoke(self, key_id: str) -> ApiKey:
        require_role(self.principal, Role.ADMIN)
        parse_model(_KeyRef, {"id": key_id}, ())
        revoked = await self._own.revoke(key_id, self._now())
        if revoked is None:
            raise not_found("API key", key_id, ("id",))
        return revoked

    async def page(self, *, after: str | None, first: int) -> tuple[list[ApiKey], bool]:
        """Oldest first, after the key at position `after` (ApiKey.position)."""
        require_role(self.principal, Role.ADMIN)
        try:
            found = await self._own.page(after=after, limit=first + 1)
        except UnknownPosition:
            raise bad_input("not a valid cursor for this list", ("after",)) from None
        return found[:first], len(found) > first

    async def count(self) -> int:
        require_role(self.principal, Role.ADMIN)
        return await self._own.count()


class _KeyRef(BaseModel):
    id: KeyId
