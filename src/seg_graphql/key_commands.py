"""What `create-api-key`, `revoke-api-key` and `list-api-keys` do, on either path:

- on the database (SEG_MONGODB_URL): the operator's path, for any tenant, needing no key;
- against a running server (`--url` + an ADMIN key): through the GraphQL API, so the key's
  tenant and role apply as for any client, and the embedded store inside `serve` is reached.

Both paths return the same shapes: the key's metadata as the API shows it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import httpx

from seg_graphql.config import Settings
from seg_graphql.domain.api_key import ApiKey
from seg_graphql.domain.errors import UserInputError
from seg_graphql.domain.models import Role
from seg_graphql.services.api_keys import ApiKeyService
from seg_graphql.services.auth import validate_tenant
from seg_graphql.services.scope import Scope
from seg_graphql.store.client import Store, connect, prepare

T = TypeVar("T")

KEY_FIELDS = "id name prefix role userId teamIds createdAt lastUsedAt expiresAt revoked"
CREATE = f"""mutation CreateApiKey($input: CreateApiKeyInput!) {{
  createApiKey(input: $input) {{
    apiKey {{ {KEY_FIELDS} }} secret userErrors {{ field message code }}
  }}
}}"""
REVOKE = f"""mutation RevokeApiKey($id: ID!) {{
  revokeApiKey(id: $id) {{ apiKey {{ {KEY_FIELDS} }} userErrors {{ field message code }} }}
}}"""
LIST = f"""query ApiKeys($first: Int!, $after: String) {{
  apiKeys(first: $first, after: $after) {{
    edges {{ node {{ {KEY_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
_PAGE = 100


class KeyCommandError(Exception):
    pass


def key_input(
    *,
    name: str,
    role: Role,
    user_id: str | None,
    teams: list[str],
    expires_at: datetime | None,
) -> dict[str, Any]:
    return {
        "name": name,
        "role": role.value,
        "userId": user_id,
        "teamIds": teams,
        "expiresAt": expires_at.isoformat() if expires_at else None,
    }


class ServerKeys:
    """The key commands through a running server's GraphQL API."""

    def __init__(self, url: str, key: str) -> None:
        self._http = httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30)
        self._url = url

    def close(self) -> None:
        self._http.close()

    def create(self, data: dict[str, Any]) -> tuple[dict[str, Any], str]:
        payload = self._mutate(CREATE, "createApiKey", {"input": data})
        return payload["apiKey"], payload["secret"]

    def revoke(self, key_id: str) -> dict[str, Any]:
        return self._mutate(REVOKE, "revokeApiKey", {"id": key_id})["apiKey"]

    def list(self) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = []
        after = None
        while True:
            page = self._data(LIST, {"first": _PAGE, "after": after})["apiKeys"]
            keys.extend(edge["node"] for edge in page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                return keys
            after = page["pageInfo"]["endCursor"]

    def _mutate(self, query: str, field: str, variables: dict[str, Any]) -> dict[str, Any]:
        payload = self._data(query, variables)[field]
        if payload["userErrors"]:
            raise KeyCommandError(
                "; ".join(f"{e['code']}: {e['message']}" for e in payload["userErrors"])
            )
        return payload

    def _data(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(self._url, json={"query": query, "variables": variables})
        try:
            body = response.json()
        except ValueError:
            raise KeyCommandError(f"HTTP {response.status_code} from {self._url}") from None
        if body.get("errors"):
            error = body["errors"][0]
            code = (error.get("extensions") or {}).get("code", "ERROR")
            raise KeyCommandError(f"{code}: {error['message']}")
        return body["data"]


class DatabaseKeys:
    """The key commands on the database, as the tenant's operator (no key needed)."""

    def __init__(self, settings: Settings, tenant: str) -> None:
        validate_tenant(tenant)
        self._settings = settings
        self._tenant = tenant
        self._store: Store | None = None

    async def __aenter__(self) -> DatabaseKeys:
        self._store = await prepare(connect(self._settings.mongodb_url, self._settings.database))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._store is not None:
            await self._store.close()

    async def create(self, data: dict[str, Any]) -> tuple[dict[str, Any], str]:
        minted = await self._run(lambda service: service.create(data))
        return key_view(minted.api_key), minted.key

    async def revoke(self, key_id: str) -> dict[str, Any]:
        return key_view(await self._run(lambda service: service.revoke(key_id)))

    async def list(self) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = []
        after = None
        while True:
            page, more = await self._run(partial(ApiKeyService.page, after=after, first=_PAGE))
            keys.extend(key_view(key) for key in page)
            if not more:
                return keys
            after = page[-1].position

    async def _run(self, call: Callable[[ApiKeyService], Awaitable[T]]) -> T:
        assert self._store is not None, "use `async with DatabaseKeys(...)`"
        service = ApiKeyService(Scope.system(self._store, self._tenant))
        try:
            return await call(service)
        except UserInputError as exc:
            problems = exc.problems
            raise KeyCommandError(
                "; ".join(f"{p.code.value}: {p.field or 'input'}: {p.message}" for p in problems)
            ) from None


def key_view(key: ApiKey) -> dict[str, Any]:
    """A key as the API's JSON shows it (never the hash)."""

    def text(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": key.key_id,
        "name": key.name,
        "prefix": key.prefix,
        "role": key.role.value,
        "userId": key.user_id,
        "teamIds": list(key.team_ids),
        "createdAt": text(key.created_at),
        "lastUsedAt": text(key.last_used_at),
        "expiresAt": text(key.expires_at),
        "revoked": key.revoked,
    }
