"""The `api_keys` collection: only a SHA-256 of each key is stored, never the key.

The one place that reads and writes a key document: methods give and take the domain's
ApiKey (domain/api_key.py), converted here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument

from seg_graphql.domain.api_key import ApiKey
from seg_graphql.domain.models import Role
from seg_graphql.domain.times import aware_utc, naive_utc
from seg_graphql.store.scoped import TenantCollection

# What a listing shows: everything but the hash.
_METADATA = {"hash": False}


class UnknownPosition(LookupError):
    """Not a key position this store could have given (a listing's cursor)."""


class ApiKeyStore:
    def __init__(self, db: Any) -> None:
        self._keys = db["api_keys"]

    async def insert(self, key: ApiKey, key_hash: str) -> ApiKey:
        """Stores `key` (its position is given here) under the hash of its secret."""
        document = {
            "_id": ObjectId(),
            "hash": key_hash,
            "keyId": key.key_id,
            "tenant": key.tenant,
            "role": key.role.value,
            "userId": key.user_id,
            "teamIds": list(key.team_ids),
            "name": key.name,
            "prefix": key.prefix,
            "createdAt": naive_utc(key.created_at).replace(microsecond=0),
            "createdBy": key.created_by,
            "expiresAt": naive_utc(key.expires_at),
            "lastUsedAt": None,
            "revoked": False,
            "revokedAt": None,
        }
        await self._keys.insert_one(document)
        return key_of(document)

    async def find_by_hash(self, key_hash: str) -> ApiKey | None:
        """Revoked keys are not found; expiry is the caller's to check (it knows the time)."""
        found = await self._keys.find_one({"hash": key_hash, "revoked": False})
        return key_of(found) if found is not None else None

    async def mark_used(self, key: ApiKey, at: datetime, *, older_than: datetime) -> None:
        """Coarse: writes only when the stored time is older than `older_than`."""
        older = naive_utc(older_than)
        await self._keys.update_one(
            {
                "_id": ObjectId(key.position),
                "$or": [{"lastUsedAt": None}, {"lastUsedAt": {"$lt": older}}],
            },
            {"$set": {"lastUsedAt": naive_utc(at)}},
        )


class TenantApiKeyStore:
    """One tenant's keys, for their admins and the operator's CLI."""

    def __init__(self, db: Any, tenant: str) -> None:
        self._keys = TenantCollection(db["api_keys"], tenant)

    async def page(self, *, after: str | None, limit: int) -> list[ApiKey]:
        """Oldest first, after the key at position `after` (UnknownPosition if it is none)."""
        if after is not None and not ObjectId.is_valid(after):
            raise UnknownPosition(after)
        query: dict[str, Any] = {} if after is None else {"_id": {"$gt": ObjectId(after)}}
        cursor = self._keys.find(query, _METADATA)
        docs = await cursor.sort("_id", ASCENDING).limit(limit).to_list(limit)
        return [key_of(doc) for doc in docs]

    async def count(self) -> int:
        return await self._keys.count_documents({})

    async def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        """The key after revoking (a second revoke keeps the first time); None when the
        tenant has no such key."""
        # no projection here: FerretDB v1 does not implement one on findAndModify
        revoked = await self._keys.find_one_and_update(
            {"keyId": key_id, "revoked": False},
            {"$set": {"revoked": True, "revokedAt": naive_utc(at)}},
            return_document=ReturnDocument.AFTER,
        )
        if revoked is None:
            revoked = await self._keys.find_one({"keyId": key_id}, _METADATA)
        return key_of(revoked) if revoked is not None else None

    async def revoke_made_by(self, creator: str, at: datetime, *, keep_hash: str) -> None:
        """Revokes the live keys `creator` made, except the one with `keep_hash`."""
        await self._keys.update_many(
            {"createdBy": creator, "revoked": False, "hash": {"$ne": keep_hash}},
            {"$set": {"revoked": True, "revokedAt": naive_utc(at)}},
        )


def key_of(doc: Mapping[str, Any]) -> ApiKey:
    get = doc.get
    return ApiKey(
        key_id=doc["keyId"],
        tenant=doc["tenant"],
        role=Role(doc["role"]),
        created_at=aware_utc(doc["createdAt"]),
        position=str(doc["_id"]),
        user_id=get("userId"),
        team_ids=tuple(get("teamIds") or ()),
        name=get("name"),
        prefix=get("prefix"),
        created_by=get("createdBy"),
        expires_at=aware_utc(get("expiresAt")),
        last_used_at=aware_utc(get("lastUsedAt")),
        revoked=bool(get("revoked")),
        revoked_at=aware_utc(get("revokedAt")),
    )
