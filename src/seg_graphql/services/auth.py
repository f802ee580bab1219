"""API keys: minting, authenticating, and deciding who may do what."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from seg_graphql.domain.api_key import ApiKey
from seg_graphql.domain.clock import utc_now
from seg_graphql.domain.errors import forbidden, unauthenticated
from seg_graphql.domain.models import EditableBy, LinkType, Principal, Role, Segment
from seg_graphql.domain.times import aware_utc, to_millisecond
from seg_graphql.store.api_keys import ApiKeyStore

KEY_PREFIX = "sgk_"
_KEY_SHAPE = re.compile(r"^sgk_[A-Za-z0-9_-]{20,100}$")
_TENANT_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# What a listing shows of a key: 'sgk_' and 8 of its ~43 random characters, enough to tell
# keys apart and far too few to help guess the rest.
PREFIX_LENGTH = 12
# lastUsedAt is written at most this often per key and process: coarse, never per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class MintedKey:
    key: str  # the secret, shown once
    api_key: ApiKey


def hash_key(key: str) -> str:
    # Keys are 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


def validate_tenant(tenant: str) -> str:
    if not _TENANT_SHAPE.match(tenant):
        raise ValueError("tenant must be 1-64 letters, digits, '_', '-' or '.'")
    return tenant


async def mint_key(
    store: ApiKeyStore,
    *,
    tenant: str,
    role: Role,
    user_id: str | None = None,
    team_ids: list[str] | None = None,
    name: str | None = None,
    key: str | None = None,
    expires_at: datetime | None = None,
    created_by: str | None = None,
    now: datetime | None = None,
) -> MintedKey:
    validate_tenant(tenant)
    key = key or KEY_PREFIX + secrets.token_urlsafe(32)
    if not _KEY_SHAPE.match(key):
        raise ValueError("an API key is 'sgk_' followed by 20-100 URL-safe characters")
    made = ApiKey(
        key_id=secrets.token_hex(6),
        tenant=tenant,
        role=role,
        created_at=now or utc_now(),
        position="",  # the store gives it
        user_id=user_id,
        team_ids=tuple(team_ids or ()),
        name=name,
        prefix=key[:PREFIX_LENGTH],
        created_by=created_by,
        expires_at=to_millisecond(aware_utc(expires_at)) if expires_at else None,
    )
    return MintedKey(key=key, api_key=await store.insert(made, hash_key(key)))


class Authenticator:
    """Maps a bearer token to a principal, with a short-lived cache of hits.

    The cache saves one database round trip per request; a revoked key keeps working for
    at most `ttl_seconds`, an expired one not at all (the cache ends at the expiry). The
    key's lastUsedAt is refreshed on a cache miss when it is older than
    LAST_USED_RESOLUTION, so a busy key costs one write a minute at most.
    """

    def __init__(self, store: ApiKeyStore, *, ttl_seconds: float = 30.0, size: int = 1024) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._size = size
        self._cache: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    async def authenticate(self, authorization: str | None) -> Principal:
        key = _bearer(authorization)
        key_hash = hash_key(key)
        cached = self._cache.get(key_hash)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        found = await self._store.find_by_hash(key_hash)
        if found is None:
            raise unauthenticated("the API key is not valid")
        wall = utc_now()
        expires_at = found.expires_at
        if expires_at is not None and expires_at <= wall:
            raise unauthenticated("the API key has expired")
        last_used = found.last_used_at
        if last_used is None or last_used < wall - LAST_USED_RESOLUTION:
            await self._store.mark_used(found, wall, older_than=wall - LAST_USED_RESOLUTION)
        principal = found.principal()
        until = now + self._ttl
        if expires_at is not None:
            until = min(until, now + (expires_at - wall).total_seconds())
        self._cache[key_hash] = (until, principal)
        self._cache.move_to_end(key_hash)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return principal


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise unauthenticated("send 'Authorization: Bearer <api key>'")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthenticated("send 'Authorization: Bearer <api key>'")
    if not _KEY_SHAPE.match(token):
        raise unauthenticated("the API key is not valid")
    return token


def require_role(principal: Principal, *allowed: Role) -> None:
    if principal.role not in allowed:
        names = " or ".join(r.value for r in allowed)
        raise forbidden(f"this operation needs the {names} role")


def can_edit(principal: Principal, segment: Segment) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is not Role.EDITOR or segment.editable_by is not EditableBy.ASSIGNED:
        return False
    for link in segment.links:
        if link.type is LinkType.USER and principal.user_id and link.target_id == principal.user_id:
            return True
        if link.type is LinkType.TEAM and link.target_id in principal.team_ids:
            return True
    return False


def require_edit(principal: Principal, segment: Segment) -> None:
    if not can_edit(principal, segment):
        if segment.editable_by is EditableBy.ADMIN:
            raise forbidden(f"segment {segment.id} is editable by admins only")
        raise forbidden(
            f"segment {segment.id} is editable by admins and its linked users and teams"
        )
