"""Per-tenant sequences (segment ids, link ids) and bounded tallies (the segment limit)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from seg_graphql.store.scoped import TenantCollection


class Counters:
    def __init__(self, db: Any, tenant: str) -> None:
        self._counters = TenantCollection(db["counters"], tenant)

    async def next_value(self, name: str) -> int:
        doc = await _upserting(
            lambda: self._counters.find_one_and_update(
                {"name": name},
                {"$inc": {"value": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        )
        return int(doc["value"])

    async def take_slot(self, name: str, limit: int) -> bool:
        """Atomically counts one more of a bounded thing; False when the limit is reached."""
        await _upserting(
            lambda: self._counters.update_one(
                {"name": name}, {"$setOnInsert": {"value": 0}}, upsert=True
            )
        )
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


T = TypeVar("T")


async def _upserting(write: Callable[[], Awaitable[T]]) -> T:
    """Two first upserts of one counter race: one inserts, the other hits the unique index.
    The document exists by then, so the retry updates it (MongoDB retries this itself for
    equality predicates since 4.2; other servers do not)."""
    try:
        return await write()
    except DuplicateKeyError:
        return await write()
