"""Import jobs as the workers see them, across tenants: claim one under a lease, checkpoint
it (which also renews the lease), finish it, or release it.

Every write after the claim is conditional on still holding the lease (`owner`), so a
worker that lost its job (its lease ran out and another worker claimed it) notices at its
next checkpoint and stops.

The claim is one findAndModify, atomic on MongoDB. FerretDB v1 on SQLite does not apply
concurrent conditional updates atomically (two workers can both "win"), so the worker also
holds the "import-claim" lease (store/leases.py, exclusive on any server) while it claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument

from seg_graphql.domain.imports import ImportStatus
from seg_graphql.domain.times import naive_utc

_ACTIVE = [ImportStatus.PENDING.value, ImportStatus.RUNNING.value]


class ImportQueue:
    def __init__(self, db: Any, owner: str) -> None:
        self._jobs = db["imports"]
        self._chunks = db["import_chunks"]
        self.owner = owner

    async def claimable(self, now: datetime) -> bool:
        """Is any job waiting for a worker? One indexed read, so an idle poll costs one."""
        found = await self._jobs.find_one(_claimable(now), {"_id": True})
        return found is not None

    async def backlog(self, now: datetime) -> tuple[int, float | None]:
        """How many jobs wait for a worker, and how long the oldest has waited (seconds)."""
        waiting = _claimable(now)
        count = await self._jobs.count_documents(waiting)
        if not count:
            return 0, None
        oldest = await self._jobs.find_one(
            waiting, {"createdAt": True}, sort=[("createdAt", ASCENDING)]
        )
        created = oldest.get("createdAt") if oldest else None
        return count, (naive_utc(now) - created).total_seconds() if created else None

    async def claim(self, now: datetime, lease: timedelta) -> dict[str, Any] | None:
        """The oldest job that is pending, or running under an expired lease (its worker
        died or stopped), now ours; the document as it was before the claim. Callers hold
        the claim lease (see the module docstring)."""
        stamp = naive_utc(now)
        return await self._jobs.find_one_and_update(
            _claimable(now),
            {
                "$set": {
                    "status": ImportStatus.RUNNING.value,
                    "owner": self.owner,
                    "leaseUntil": stamp + lease,
                    "updatedAt": stamp,
                },
                "$push": {"claims": {"owner": self.owner, "at": stamp}},
            },
            sort=[("createdAt", ASCENDING)],
            return_document=ReturnDocument.BEFORE,
        )

    async def update(
        self, job_id: ObjectId, fields: Mapping[str, Any], *, lease_until: datetime | None
    ) -> bool:
        """Saves fields if the lease is still ours (and renews it); False if it is not."""
        changes = dict(fields)
        if lease_until is not None:
            changes["leaseUntil"] = naive_utc(lease_until)
        result = await self._jobs.update_one(
            {"_id": job_id, "owner": self.owner}, {"$set": changes}
        )
        return result.matched_count == 1

    async def start(self, job_id: ObjectId, now: datetime) -> None:
        await self._jobs.update_one(
            {"_id": job_id, "startedAt": None}, {"$set": {"startedAt": naive_utc(now)}}
        )

    async def count_recovery(self, job_id: ObjectId) -> int:
        doc = await self._jobs.find_one_and_update(
            {"_id": job_id, "owner": self.owner},
            {"$inc": {"recoveries": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return (doc or {}).get("recoveries", 0)

    async def delete_orphan_chunks(self, older_than: datetime, limit: int = 500) -> int:
        """Chunks of uploads that never became a job (the server died mid-upload) or of
        jobs that ended without cleaning up: only those older than `older_than`, whose job
        is not waiting or running."""
        firsts = await (
            self._chunks.find(
                {"n": 0, "importId": {"$lt": ObjectId.from_datetime(older_than)}},
                {"importId": True, "_id": False},
            )
            .limit(limit)
            .to_list(limit)
        )
        ids = sorted({doc["importId"] for doc in firsts})
        if not ids:
            return 0
        active = await self._jobs.find(
            {"_id": {"$in": ids}, "status": {"$in": _ACTIVE}}, {"_id": True}
        ).to_list(None)
        orphans = sorted(set(ids) - {doc["_id"] for doc in active})
        if orphans:
            await self._chunks.delete_many({"importId": {"$in": orphans}})
        return len(orphans)

    async def release(self, job_id: ObjectId, now: datetime) -> None:
        """Stops working on a job without finishing it: any worker may claim it at once."""
        await self._jobs.update_one(
            {"_id": job_id, "owner": self.owner},
            {"$set": {"owner": None, "leaseUntil": naive_utc(now)}},
        )


def _claimable(now: datetime) -> dict[str, Any]:
    return {"status": {"$in": _ACTIVE}, "leaseUntil": {"$lte": naive_utc(now)}}
