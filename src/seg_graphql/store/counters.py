"""Per-tenant sequences (segment ids, link ids) and bounded tallies (the segment limit)."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from seg_graphql.store.scoped import TenantCollection


class Counters:
    def __init__(self, db: Any, tenant: str) -> None:
        self._counters = TenantCollection(db["counters"], tenant)

    async def next_value(self, name: str) -> int:
        doc = await self._counters.find_one_and_update(
            {"name": name},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return int(doc["value"])

    async def take_slot(self, name: str, limit: int) -> bool:
        """Atomically counts one more of a bounded thing; False when the limit is reached."""
        await self._counters.update_one({"name": name}, {"$setOnInsert": {"value": 0}}, upsert=True)
        doc = await self._counters.find_one_and_update(
            {"name": name, "value": {"$lt": limit}},
            {"$inc": {"value": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return doc is not None

    async def release_slot(self, name: str) -> None:
        await self._counters.update_one(
            {"name": name, "value": {"$gt": 0}}, {"$inc": {"value": -1}}
        )
