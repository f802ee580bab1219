"""The `membership_events` collection: the append-only history of membership changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING

from seg_graphql.domain.history import EventAction, EventSource, HistoryOf, MembershipEvent
from seg_graphql.domain.membership import Snapshot, UserStatus
from seg_graphql.domain.times import aware_utc, naive_utc
from seg_graphql.store.errors import duplicates_as_domain
from seg_graphql.store.scoped import TenantCollection


class EventStore:
    def __init__(self, db: Any, tenant: str) -> None:
        self._events = TenantCollection(db["membership_events"], tenant)

    async def record(self, events: Sequence[MembershipEvent]) -> None:
        if events:
            with duplicates_as_domain():
                await self._events.insert_many([_document(event) for event in events])

    async def record_once(self, events: Sequence[MembershipEvent]) -> None:
        """Records events whose (caller-chosen) id is not recorded yet: replaying a batch
        of a resumed import records each of its events once."""
        if not events:
            return
        ids = [event.id for event in events]
        found = await self._events.find({"_id": {"$in": ids}}, {"_id": True}).to_list(None)
        seen = {doc["_id"] for doc in found}
        fresh = [_document(event) for event in events if event.id not in seen]
        if fresh:
            with duplicates_as_domain():
                await self._events.insert_many(fresh)

    async def page(
        self, about: HistoryOf, *, before: str | None, limit: int
    ) -> list[MembershipEvent]:
        """Newest first; `before` is the id of the last event of the previous page."""
        query = _where(about)
        if before is not None:
            query["_id"] = {"$lt": ObjectId(before)}
        cursor = self._events.find(query).sort("_id", DESCENDING).limit(limit)
        return [_event(doc) for doc in await cursor.to_list(limit)]

    async def count(self, about: HistoryOf) -> int:
        return await self._events.count_documents(_where(about))


def _where(about: HistoryOf) -> dict[str, Any]:
    where: dict[str, Any] = {}
    if about.segment_id is not None:
        where["segmentId"] = about.segment_id
    if about.user_id is not None:
        where["userId"] = about.user_id
    return where


def _document(event: MembershipEvent) -> dict[str, Any]:
    document: dict[str, Any] = {} if event.id is None else {"_id": event.id}
    document.update(
        {
            "segmentId": event.segment_id,
            "userId": event.user_id,
            "at": naive_utc(event.at),
            "action": event.action,
            "before": _stored_snapshot(event.before),
            "after": _stored_snapshot(event.after),
            "source": event.source,
            "actorKeyId": event.actor_key_id,
            "actorUserId": event.actor_user_id,
            "referenceId": event.reference_id,
            "description": event.description,
            "statusAt": naive_utc(event.status_at) if event.status_at else None,
        }
    )
    return document


def _event(doc: Mapping[str, Any]) -> MembershipEvent:
    return MembershipEvent(
        id=doc["_id"],
        segment_id=doc["segmentId"],
        user_id=doc["userId"],
        at=aware_utc(doc["at"]),
        action=EventAction(doc["action"]),
        before=_snapshot(doc.get("before")),
        after=_snapshot(doc.get("after")),
        source=EventSource(doc["source"]),
        actor_key_id=doc.get("actorKeyId"),
        actor_user_id=doc.get("actorUserId"),
        reference_id=doc.get("referenceId"),
        description=doc.get("description"),
        status_at=aware_utc(doc.get("statusAt")),
    )


def _stored_snapshot(snapshot: Snapshot) -> dict[str, Any]:
    override = snapshot.override.value if snapshot.override else None
    return {"override": override, "listed": snapshot.listed}


def _snapshot(doc: Mapping[str, Any] | None) -> Snapshot:
    doc = doc or {}
    override = doc.get("override")
    return Snapshot(UserStatus(override) if override else None, bool(doc.get("listed")))
