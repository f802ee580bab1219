"""The `membership_events` collection: the append-only history of membership changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING

from seg_graphql.domain.history import HistoryOf
from seg_graphql.store.errors import duplicates_as_domain
from seg_graphql.store.scoped import TenantCollection


class EventStore:
    def __init__(self, db: Any, tenant: str) -> None:
        self._events = TenantCollection(db["membership_events"], tenant)

    async def record(self, events: Sequence[Mapping[str, Any]]) -> None:
        if events:
            with duplicates_as_domain():
                await self._events.insert_many(list(events))

    async def record_once(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Records events whose (caller-chosen) _id is not recorded yet: replaying a batch
        of a resumed import records each of its events once."""
        if not events:
            return
        ids = [event["_id"] for event in events]
        found = await self._events.find({"_id": {"$in": ids}}, {"_id": True}).to_list(None)
        seen = {doc["_id"] for doc in found}
        fresh = [event for event in events if event["_id"] not in seen]
        if fresh:
            with duplicates_as_domain():
                await self._events.insert_many(fresh)

    async def page(
        self, about: HistoryOf, *, before: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Newest first; `before` is the id of the last event of the previous page."""
        query = _where(about)
        if before is not None:
            query["_id"] = {"$lt": ObjectId(before)}
        cursor = self._events.find(query).sort("_id", DESCENDING).limit(limit)
        return await cursor.to_list(limit)

    async def count(self, about: HistoryOf) -> int:
        return await self._events.count_documents(_where(about))


def _where(about: HistoryOf) -> dict[str, Any]:
    where: dict[str, Any] = {}
    if about.segment_id is not None:
        where["segmentId"] = about.segment_id
    if about.user_id is not None:
        where["userId"] = about.user_id
    return where
