"""The `api_keys` collection: only a SHA-256 of each key is stored, never the key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument

from seg_graphql.domain.times import naive_utc
from seg_graphql.store.scoped import TenantCollection

# What a listing shows: everything but the hash.
_METADATA = {"hash": False}


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
        prefix: str | None = None,
        expires_at: datetime | None = None,
        created_by: str | None = None,
        created_at: datetime,
    ) -> dict[str, Any]:
        document = {
            "_id": ObjectId(),
            "hash": key_hash,
            "keyId": key_id,
            "tenant": tenant,
            "role": role,
            "userId": user_id,
            "teamIds": team_ids,
            "name": name,
            "prefix": prefix,
            "createdAt": naive_utc(created_at).replace(microsecond=0),
            "createdBy": created_by,
            "expiresAt": expires_at,
            "lastUsedAt": None,
            "revoked": False,
            "revokedAt": None,
        }
        await self._keys.insert_one(document)
        return {k: v for k, v in document.items() if k != "hash"}

    async def find_by_hash(self, key_hash: str) -> dict[str, Any] | None:
        """Revoked keys are not found; expiry is the caller's to check (it knows the time)."""
        return await self._keys.find_one({"hash": key_hash, "revoked": False})

    async def mark_used(self, key_id: ObjectId, at: datetime, *, older_than: datetime) -> None:
        """Coarse: writes only when the stored time is older than `older_than`."""
        await self._keys.update_one(
            {"_id": key_id, "$or": [{"lastUsedAt": None}, {"lastUsedAt": {"$lt": older_than}}]},
            {"$set": {"lastUsedAt": at}},
        )


class TenantApiKeyStore:
    """One tenant's keys, for their admins and the operator's CLI."""

    def __init__(self, db: Any, tenant: str) -> None:
        self._keys = TenantCollection(db["api_keys"], tenant)

    async def page(self, *, after: ObjectId | None, limit: int) -> list[dict[str, Any]]:
        """Oldest first."""
        query: dict[str, Any] = {} if after is None else {"_id": {"$gt": after}}
        cursor = self._keys.find(query, _METADATA)
        return await cursor.sort("_id", ASCENDING).limit(limit).to_list(limit)

    async def count(self) -> int:
        return await self._keys.count_documents({})

    async def revoke(self, key_id: str, at: datetime) -> Mapping[str, Any] | None:
        """The key after revoking (a second revoke keeps the first time); None when the
        tenant has no such key."""
        # no projection here: FerretDB v1 does not implement one on findAndModify
        revoked = await self._keys.find_one_and_update(
            {"keyId": key_id, "revoked": False},
            {"$set": {"revoked": True, "revokedAt": at}},
            return_document=ReturnDocument.AFTER,
        )
        if revoked is not None:
            revoked.pop("hash", None)
            return revoked
        return await self._keys.find_one({"keyId": key_id}, _METADATA)

    async def revoke_made_by(self, creator: str, at: datetime, *, keep_hash: str) -> None:
        """Revokes the live keys `creator` made, except the one with `keep_hash`."""
        await self._keys.update_many(
            {"createdBy": creator, "revoked": False, "hash": {"$ne": keep_hash}},
            {"$set": {"revoked": True, "revokedAt": at}},
        )
