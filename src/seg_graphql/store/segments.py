"""The `segments` collection: one document per segment, links embedded."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument

from seg_graphql.domain.models import (
    EditableBy,
    Link,
    LinkType,
    Rules,
    Segment,
    SegmentSelection,
    SegmentType,
)
from seg_graphql.domain.times import aware_utc, naive_utc, to_millisecond
from seg_graphql.store.errors import duplicates_as_domain
from seg_graphql.store.scoped import TenantCollection

# find_one_and_update takes no projection here: FerretDB v1 does not implement findAndModify's
# "fields"; from_document ignores what it does not need.
_PROJECTION = {
    "_id": False,
    "tenant": True,
    "id": True,
    "technicalName": True,
    "name": True,
    "type": True,
    "rules": True,
    "editableBy": True,
    "createdAt": True,
    "updatedAt": True,
    "description": True,
    "url": True,
    "teamId": True,
    "isDefault": True,
    "links": True,
    "estimatedSize": True,
    "estimatedSizeUpdatedAt": True,
}


def _query_of(where: SegmentSelection) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if where.name_contains:
        query["name"] = {"$regex": re.escape(where.name_contains), "$options": "i"}
    if where.type is not None:
        query["type"] = where.type.value
    if where.team_id is not None:
        query["teamId"] = where.team_id
    return query


class SegmentStore:
    def __init__(self, db: Any, tenant: str) -> None:
        self._segments = TenantCollection(db["segments"], tenant)
        self.tenant = tenant

    async def insert(self, segment: Segment) -> None:
        with duplicates_as_domain():
            await self._segments.insert_one(to_document(segment))

    async def get(self, segment_id: int) -> Segment | None:
        doc = await self._segments.find_one({"id": segment_id}, _PROJECTION)
        return from_document(doc) if doc else None

    async def get_many(self, segment_ids: Iterable[int]) -> dict[int, Segment]:
        ids = sorted(set(segment_ids))
        if not ids:
            return {}
        docs = await self._segments.find({"id": {"$in": ids}}, _PROJECTION).to_list(None)
        return {doc["id"]: from_document(doc) for doc in docs}

    async def get_many_by_technical_name(self, names: Iterable[str]) -> dict[str, Segment]:
        wanted = sorted(set(names))
        if not wanted:
            return {}
        docs = await self._segments.find({"technicalName": {"$in": wanted}}, _PROJECTION).to_list(
            None
        )
        return {doc["technicalName"]: from_document(doc) for doc in docs}

    async def list_page(
        self, where: SegmentSelection, *, after_id: int | None, limit: int
    ) -> list[Segment]:
        query = _query_of(where)
        if after_id is not None:
            query["id"] = {"$gt": after_id}
        cursor = self._segments.find(query, _PROJECTION).sort("id", ASCENDING).limit(limit)
        return [from_document(doc) for doc in await cursor.to_list(limit)]

    async def all(self) -> list[Segment]:
        docs = await self._segments.find({}, _PROJECTION).sort("id", ASCENDING).to_list(None)
        return [from_document(doc) for doc in docs]

    async def count(self, where: SegmentSelection) -> int:
        return await self._segments.count_documents(_query_of(where))

    async def update(self, segment_id: int, changes: Mapping[str, Any]) -> Segment | None:
        with duplicates_as_domain():
            doc = await self._segments.find_one_and_update(
                {"id": segment_id}, {"$set": dict(changes)}, return_document=ReturnDocument.AFTER
            )
        return from_document(doc) if doc else None

    async def set_estimates(
        self, sizes: Mapping[int, int], now: datetime, *, max_batch: int
    ) -> dict[int, Segment]:
        """Saves each segment's estimate (ordered bulk writes of at most max_batch) and
        returns the segments as saved (deleted ones are left out): two round trips."""
        stamp = _naive(now)
        await self._segments.bulk_update(
            [
                (
                    {"id": segment_id},
                    {"$set": {"estimatedSize": size, "estimatedSizeUpdatedAt": stamp}},
                    False,
                )
                for segment_id, size in sizes.items()
            ],
            max_batch,
        )
        return await self.get_many(sizes)

    async def change_list_size(
        self, segment_id: int, now: datetime, *, by: int = 0, to: int | None = None
    ) -> None:
        """A STATIC segment's estimatedSize is its list size (loyalty seed), kept live by the
        writers of the list: moved `by` a change's delta, or set `to` a fresh count."""
        change: dict[str, Any] = {"$set": {"estimatedSizeUpdatedAt": _naive(now)}}
        if to is not None:
            change["$set"]["estimatedSize"] = to
        elif by:
            change["$inc"] = {"estimatedSize": by}
        else:
            return
        await self._segments.update_one(
            {"id": segment_id, "type": SegmentType.STATIC.value}, change
        )

    async def delete(self, segment_id: int) -> bool:
        return (await self._segments.delete_one({"id": segment_id})).deleted_count == 1

    async def push_link(
        self, segment_id: int, link: Link, *, max_links: int, now: datetime
    ) -> Segment | None:
        """Adds the link unless the segment already holds `max_links`; None if not added."""
        doc = await self._segments.find_one_and_update(
            {"id": segment_id, f"links.{max_links - 1}": {"$exists": False}},
            {"$push": {"links": _link_document(link)}, "$set": {"updatedAt": _naive(now)}},
            return_document=ReturnDocument.AFTER,
        )
        return from_document(doc) if doc else None

    async def pull_link(self, segment_id: int, link: Link, *, now: datetime) -> Segment | None:
        # $pull by the exact stored element: FerretDB v1 ignores $pull condition documents
        # ({"id": n} matches nothing there), while MongoDB honours both forms.
        doc = await self._segments.find_one_and_update(
            {"id": segment_id, "links.id": link.id},
            {"$pull": {"links": _link_document(link)}, "$set": {"updatedAt": _naive(now)}},
            return_document=ReturnDocument.AFTER,
        )
        return from_document(doc) if doc else None

    async def referencing(self, segment_id: int) -> list[int]:
        """Ids of segments whose rules name this one in a `segment` criterion."""
        # Filtered here rather than with $elemMatch, which FerretDB v1 lacks for field equality.
        graph = await self.rules_graph()
        return sorted(sid for sid, refs in graph.items() if segment_id in refs)

    async def rules_graph(self) -> dict[int, set[int]]:
        """Every segment of the tenant that references others, with what it references."""
        docs = await self._segments.find(
            {"$or": [{"rules.include.field": "segment"}, {"rules.exclude.field": "segment"}]},
            {"_id": False, "id": True, "rules": True},
        ).to_list(None)
        return {doc["id"]: Rules.from_doc(doc.get("rules")).referenced_segments() for doc in docs}


def to_document(segment: Segment) -> dict[str, Any]:
    return {
        "id": segment.id,
        "technicalName": segment.technical_name,
        "name": segment.name,
        "description": segment.description,
        "type": segment.type.value,
        "rules": segment.rules.to_doc(),
        "url": segment.url,
        "teamId": segment.team_id,
        "isDefault": segment.is_default,
        "editableBy": segment.editable_by.value,
        "links": [_link_document(link) for link in segment.links],
        "estimatedSize": segment.estimated_size,
        "estimatedSizeUpdatedAt": _naive(segment.estimated_size_updated_at),
        "createdAt": _naive(segment.created_at),
        "updatedAt": _naive(segment.updated_at),
    }


def from_document(doc: Mapping[str, Any]) -> Segment:
    return Segment(
        tenant=doc["tenant"],
        id=doc["id"],
        technical_name=doc["technicalName"],
        name=doc["name"],
        description=doc.get("description"),
        type=SegmentType(doc["type"]),
        rules=Rules.from_doc(doc.get("rules")),
        url=doc.get("url"),
        team_id=doc.get("teamId"),
        is_default=bool(doc.get("isDefault")),
        editable_by=EditableBy(doc["editableBy"]),
        links=[
            Link(
                id=link["id"],
                type=LinkType(link["type"]),
                target_id=link["targetId"],
                created_at=aware_utc(link["createdAt"]),
            )
            for link in doc.get("links") or []
        ],
        estimated_size=int(doc.get("estimatedSize") or 0),
        estimated_size_updated_at=aware_utc(doc.get("estimatedSizeUpdatedAt")),
        created_at=aware_utc(doc["createdAt"]),
        updated_at=aware_utc(doc["updatedAt"]),
    )


def segment_changes(**fields: Any) -> dict[str, Any]:
    """Maps domain field names to stored ones for a partial update."""
    mapping = {
        "technical_name": "technicalName",
        "team_id": "teamId",
        "is_default": "isDefault",
        "editable_by": "editableBy",
        "updated_at": "updatedAt",
        "estimated_size_updated_at": "estimatedSizeUpdatedAt",
    }
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, Rules):
            value = value.to_doc()
        elif isinstance(value, datetime):
            value = _naive(value)
        elif hasattr(value, "value"):
            value = value.value
        out[mapping.get(name, name)] = value
    return out


def _link_document(link: Link) -> dict[str, Any]:
    return {
        "id": link.id,
        "type": link.type.value,
        "targetId": link.target_id,
        "createdAt": _naive(link.created_at),
    }


def _naive(moment: datetime | None) -> datetime | None:
    # MongoDB keeps UTC without a zone; keep microseconds out so both stores round-trip equal.
    if moment is None:
        return None
    return to_millisecond(naive_utc(moment))


class StaleEstimates:
    """Dynamic segments of every tenant whose estimate is older than a moment, or was never
    computed (the refresh job serves all tenants, then binds each one's scope)."""

    def __init__(self, db: Any) -> None:
        self._segments = db["segments"]

    async def find(self, older_than: datetime, limit: int) -> dict[str, list[int]]:
        """At most `limit` segments' ids, by tenant."""
        cursor = self._segments.find(
            {
                "type": SegmentType.DYNAMIC.value,
                "$or": [
                    {"estimatedSizeUpdatedAt": None},
                    {"estimatedSizeUpdatedAt": {"$lte": _naive(older_than)}},
                ],
            },
            {"_id": False, "tenant": True, "id": True},
        ).limit(limit)
        by_tenant: dict[str, list[int]] = {}
        for doc in await cursor.to_list(limit):
            by_tenant.setdefault(doc["tenant"], []).append(doc["id"])
        return by_tenant
