"""The one place that adds the tenant to every filter and every new document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import UpdateOne

Filter = Mapping[str, Any]


class TenantCollection:
    """A collection seen through one tenant: nothing outside it can be read or written."""

    def __init__(self, collection: Any, tenant: str) -> None:
        if not tenant:
            raise ValueError("a tenant is required")
        self._collection = collection
        self.tenant = tenant

    def scope(self, query: Filter | None = None) -> dict[str, Any]:
        if not query:
            return {"tenant": self.tenant}
        if "tenant" in query:
            # a caller-supplied tenant can only narrow, never widen, the scope
            return {"$and": [{"tenant": self.tenant}, dict(query)]}
        return {"tenant": self.tenant, **query}

    def find(self, query: Filter | None = None, *args: Any, **kwargs: Any) -> Any:
        return self._collection.find(self.scope(query), *args, **kwargs)

    async def find_one(self, query: Filter | None = None, *args: Any, **kwargs: Any) -> Any:
        return await self._collection.find_one(self.scope(query), *args, **kwargs)

    async def count_documents(self, query: Filter | None = None, **kwargs: Any) -> int:
        return await self._collection.count_documents(self.scope(query), **kwargs)

    async def insert_one(self, document: Mapping[str, Any]) -> Any:
        return await self._collection.insert_one({**document, "tenant": self.tenant})

    async def update_one(self, query: Filter, update: Mapping[str, Any], **kwargs: Any) -> Any:
        return await self._collection.update_one(
            self.scope(query), _pin(update, self.tenant), **kwargs
        )

    async def find_one_and_update(
        self, query: Filter, update: Mapping[str, Any], **kwargs: Any
    ) -> Any:
        return await self._collection.find_one_and_update(
            self.scope(query), _pin(update, self.tenant), **kwargs
        )

    async def update_many(self, query: Filter, update: Mapping[str, Any]) -> Any:
        return await self._collection.update_many(self.scope(query), _pin(update, self.tenant))

    async def bulk_update(
        self, updates: Sequence[tuple[Filter, Mapping[str, Any], bool]], batch_size: int = 10_000
    ) -> None:
        """(filter, update, upsert) triples in ordered bulk writes of at most `batch_size`
        statements (see Capabilities.max_update_batch), each scoped and pinned."""
        requests = [
            UpdateOne(self.scope(query), _pin(update, self.tenant), upsert=upsert)
            for query, update, upsert in updates
        ]
        for start in range(0, len(requests), batch_size):
            await self._collection.bulk_write(requests[start : start + batch_size], ordered=True)

    async def insert_many(self, documents: Sequence[Mapping[str, Any]]) -> Any:
        return await self._collection.insert_many(
            [{**document, "tenant": self.tenant} for document in documents]
        )

    async def delete_one(self, query: Filter) -> Any:
        return await self._collection.delete_one(self.scope(query))

    async def delete_many(self, query: Filter) -> Any:
        return await self._collection.delete_many(self.scope(query))

    async def aggregate(self, pipeline: Sequence[Mapping[str, Any]], **kwargs: Any) -> Any:
        return await self._collection.aggregate(
            [{"$match": {"tenant": self.tenant}}, *pipeline], **kwargs
        )


def _pin(update: Mapping[str, Any], tenant: str) -> dict[str, Any]:
    """Updates may never move a document to another tenant; upserts land in this one."""
    pinned = {op: dict(body) for op, body in update.items()}
    for body in pinned.values():
        body.pop("tenant", None)
    pinned.setdefault("$setOnInsert", {})["tenant"] = tenant
    return pinned
