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

from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument

from seg_graphql.domain.imports import ClaimedImport, ImportStatus, LineProblem, Progress
from seg_graphql.domain.times import naive_utc
from seg_graphql.store.imports import claimed_of, failure_doc, job_key, progress_fields

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

    async def claim(self, now: datetime, lease: timedelta) -> ClaimedImport | None:
        """The oldest job that is pending, or running under an expired lease (its worker
        died or stopped), now ours; as it was before the claim. Callers hold the claim
        lease (see the module docstring)."""
        stamp = naive_utc(now)
        doc = await self._jobs.find_one_and_update(
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
        return claimed_of(doc) if doc else None

    async def checkpoint(
        self, job_id: str, progress: Progress, *, share_read: float, lease_until: datetime
    ) -> bool:
        """Saves the progress if the lease is still ours (and renews it); False if it is not."""
        return await self._update_owned(
            job_id,
            {**progress_fields(progress), "progress": share_read},
            lease_until=lease_until,
        )

    async def finish(
        self,
        job_id: str,
        progress: Progress,
        status: ImportStatus,
        failure: LineProblem | None,
        at: datetime,
    ) -> bool:
        """Ends the job if the lease is still ours, then drops its stored content; False
        (and nothing changed) if another worker holds it now."""
        ended = await self._update_owned(
            job_id,
            {
                **progress_fields(progress),
                "status": status.value,
                "progress": 1.0,
                "finishedAt": naive_utc(at),
                "error": failure_doc(failure),
                "owner": None,
            },
            lease_until=at,
        )
        if ended:
            await self._chunks.delete_many({"importId": job_key(job_id)})
        return ended

    async def _update_owned(
        self, job_id: str, fields: dict[str, Any], *, lease_until: datetime
    ) -> bool:
        result = await self._jobs.update_one(
            {"_id": job_key(job_id), "owner": self.owner},
            {"$set": {**fields, "leaseUntil": naive_utc(lease_until)}},
        )
        return result.matched_count == 1

    async def start(self, job_id: str, now: datetime) -> None:
        await self._jobs.update_one(
            {"_id": job_key(job_id), "startedAt": None}, {"$set": {"startedAt": naive_utc(now)}}
        )

    async def count_recovery(self, job_id: str) -> int:
        doc = await self._jobs.find_one_and_update(
            {"_id": job_key(job_id), "owner": self.owner},
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

    async def release(self, job_id: str, now: datetime) -> None:
        """Stops working on a job without finishing it: any worker may claim it at once."""
        await self._jobs.update_one(
            {"_id": job_key(job_id), "owner": self.owner},
            {"$set": {"owner": None, "leaseUntil": naive_utc(now)}},
        )


def _claimable(now: datetime) -> dict[str, Any]:
    return {"status": {"$in": _ACTIVE}, "leaseUntil": {"$lte": naive_utc(now)}}
