"""The `imports` and `import_chunks` collections, as one tenant sees them: jobs and their
stored content."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from bson import Binary, ObjectId
from pymongo import ASCENDING, DESCENDING

from seg_graphql.store.scoped import TenantCollection

CHUNKS_PER_TRIP = 8  # ~2 MB per round trip at CHUNK_BYTES, written and read


class ImportStore:
    def __init__(self, db: Any, tenant: str) -> None:
        self._jobs = TenantCollection(db["imports"], tenant)
        self._chunks = TenantCollection(db["import_chunks"], tenant)

    async def save_chunks(self, import_id: ObjectId, first: int, pieces: list[bytes]) -> None:
        """Chunks first, first + 1, ... in one round trip."""
        await self._chunks.insert_many(
            [
                {"importId": import_id, "n": first + offset, "data": Binary(data)}
                for offset, data in enumerate(pieces)
            ]
        )

    async def chunks(
        self, import_id: ObjectId, *, count: int, start: int = 0
    ) -> AsyncIterator[bytes]:
        """The content in order, a few chunks per round trip (never the whole file)."""
        for first in range(start, count, CHUNKS_PER_TRIP):
            docs = await (
                self._chunks.find(
                    {"importId": import_id, "n": {"$gte": first, "$lt": first + CHUNKS_PER_TRIP}}
                )
                .sort("n", ASCENDING)
                .to_list(CHUNKS_PER_TRIP)
            )
            expected = min(CHUNKS_PER_TRIP, count - first)
            if len(docs) != expected or [d["n"] for d in docs] != list(
                range(first, first + expected)
            ):
                raise LookupError(f"import {import_id}: chunks {first}.. are missing")
            for doc in docs:
                yield bytes(doc["data"])

    async def delete_chunks(self, import_id: ObjectId) -> None:
        await self._chunks.delete_many({"importId": import_id})

    async def insert(self, job: Mapping[str, Any]) -> None:
        await self._jobs.insert_one(job)

    async def get(self, import_id: ObjectId) -> dict[str, Any] | None:
        return await self._jobs.find_one({"_id": import_id}, {"errors": True, **_SUMMARY})

    async def page(
        self, where: Mapping[str, Any], *, before: ObjectId | None, limit: int
    ) -> list[dict[str, Any]]:
        """Newest first."""
        query = dict(where)
        if before is not None:
            query["_id"] = {"$lt": before}
        cursor = self._jobs.find(query, {"errors": True, **_SUMMARY})
        return await cursor.sort("_id", DESCENDING).limit(limit).to_list(limit)

    async def count(self, where: Mapping[str, Any]) -> int:
        return await self._jobs.count_documents(dict(where))


_SUMMARY = {
    key: True
    for key in (
        "tenant",
        "name",
        "documentType",
        "format",
        "status",
        "sizeBytes",
        "createdAt",
        "startedAt",
        "finishedAt",
        "total",
        "applied",
        "failed",
        "progress",
        "error",
    )
}
