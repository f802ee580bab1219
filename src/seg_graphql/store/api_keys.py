"""The `api_keys` collection: only a SHA-256 of each key is stored, never the key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class ApiKeyStore:
    def __init__(self, db: Any) -> None:
        self._keys = db["api_keys"]

    async def insert(
        self,
        *,
        key_hash: str,
        key_id: str,
        tenant: str,
        role: str,
        user_id: str | None,
        team_ids: list[str],
        name: str | None,
    ) -> None:
        await self._keys.insert_one(
            {
                "hash": key_hash,
                "keyId": key_id,
                "tenant": tenant,
                "role": role,
                "userId": user_id,
                "teamIds": team_ids,
                "name": name,
                "createdAt": datetime.now(UTC).replace(tzinfo=None),
                "revoked": False,
            }
        )

    async def find_by_hash(self, key_hash: str) -> dict[str, Any] | None:
        return await self._keys.find_one({"hash": key_hash, "revoked": False}, {"_id": False})
