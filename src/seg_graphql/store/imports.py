"""The `imports` and `import_chunks` collections, as one tenant sees them: jobs and their
stored content. The job documents' shape is here, read and written by this module and by
store/import_queue.py (the workers' view, across tenants)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from bson import Binary, ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING

from seg_graphql.domain.imports import (
    ClaimedImport,
    DocumentType,
    Format,
    ImportJob,
    ImportStatus,
    LineProblem,
    Progress,
)
from seg_graphql.domain.models import Principal, Role
from seg_graphql.domain.times import aware_utc, naive_utc
from seg_graphql.store.scoped import TenantCollection

CHUNKS_PER_TRIP = 8  # ~2 MB per round trip at CHUNK_BYTES, written and read


class UnknownJobId(LookupError):
    """Not a job id this store could have given."""


class ImportStore:
    def __init__(self, db: Any, tenant: str) -> None:
        self._jobs = TenantCollection(db["imports"], tenant)
        self._chunks = TenantCollection(db["import_chunks"], tenant)

    @staticmethod
    def new_id() -> str:
        """An id for a job about to be uploaded: its chunks are stored under it first."""
        return str(ObjectId())

    async def save_chunks(self, import_id: str, first: int, pieces: list[bytes]) -> None:
        """Chunks first, first + 1, ... in one round trip."""
        await self._chunks.insert_many(
            [
                {"importId": job_key(import_id), "n": first + offset, "data": Binary(data)}
                for offset, data in enumerate(pieces)
            ]
        )

    async def chunks(self, import_id: str, *, count: int, start: int = 0) -> AsyncIterator[bytes]:
        """The content in order, a few chunks per round trip (never the whole file)."""
        key = job_key(import_id)
        for first in range(start, count, CHUNKS_PER_TRIP):
            docs = await (
                self._chunks.find(
                    {"importId": key, "n": {"$gte": first, "$lt": first + CHUNKS_PER_TRIP}}
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

    async def delete_chunks(self, import_id: str) -> None:
        await self._chunks.delete_many({"importId": job_key(import_id)})

    async def create(self, job: ImportJob, *, chunk_count: int, submitted_by: Principal) -> None:
        """Stores a new job (its content already stored), with no worker and a lease that
        has run out: any worker may claim it at once."""
        created = naive_utc(job.created_at)
        await self._jobs.insert_one(
            {
                "_id": job_key(job.id),
                "name": job.name,
                "documentType": job.document_type.value,
                "format": job.format.value,
                "status": job.status.value,
                "sizeBytes": job.size_bytes,
                "chunkCount": chunk_count,
                "createdAt": created,
                "updatedAt": created,
                "startedAt": None,
                "finishedAt": None,
                "createdBy": {
                    "keyId": submitted_by.key_id,
                    "role": submitted_by.role.value,
                    "userId": submitted_by.user_id,
                    "teamIds": sorted(submitted_by.team_ids),
                },
                "total": job.total,
                "applied": job.applied,
                "failed": job.failed,
                "progress": job.progress,
                "errors": [problem_doc(p) for p in job.errors],
                "error": failure_doc(job.error),
                "checkpointLine": 0,
                "owner": None,
                "leaseUntil": created,
                "recoveries": 0,
                "claims": [],
            }
        )

    async def get(self, job_id: str) -> ImportJob | None:
        try:
            key = job_key(job_id)
        except UnknownJobId:
            return None
        doc = await self._jobs.find_one({"_id": key}, {"errors": True, **_SUMMARY})
        return job_of(doc) if doc else None

    async def page(
        self, status: ImportStatus | None, *, before: str | None, limit: int
    ) -> list[ImportJob]:
        """Newest first; UnknownJobId if `before` is not a job id."""
        query = _with_status(status)
        if before is not None:
            query["_id"] = {"$lt": job_key(before)}
        cursor = self._jobs.find(query, {"errors": True, **_SUMMARY})
        return [
            job_of(doc) for doc in await cursor.sort("_id", DESCENDING).limit(limit).to_list(limit)
        ]

    async def count(self, status: ImportStatus | None) -> int:
        return await self._jobs.count_documents(_with_status(status))


def job_key(job_id: str) -> ObjectId:
    try:
        return ObjectId(job_id)
    except (InvalidId, TypeError):
        raise UnknownJobId(job_id) from None


def _with_status(status: ImportStatus | None) -> dict[str, Any]:
    return {"status": status.value} if status else {}


def problem_doc(problem: LineProblem) -> dict[str, Any]:
    return {"line": problem.line, "code": problem.code, "message": problem.message}


def failure_doc(failure: LineProblem | None) -> dict[str, Any] | None:
    """A job-level failure: its line is always 0, so only the code and message are kept."""
    return {"code": failure.code, "message": failure.message} if failure else None


def _problems_of(doc: dict[str, Any]) -> list[LineProblem]:
    return [LineProblem(e["line"], e["code"], e["message"]) for e in doc.get("errors") or []]


def job_of(doc: dict[str, Any]) -> ImportJob:
    failure = doc.get("error")
    return ImportJob(
        id=str(doc["_id"]),
        tenant=doc["tenant"],
        name=doc["name"],
        document_type=DocumentType(doc["documentType"]),
        format=Format(doc["format"]),
        status=ImportStatus(doc["status"]),
        size_bytes=doc.get("sizeBytes", 0),
        created_at=aware_utc(doc["createdAt"]),
        started_at=aware_utc(doc.get("startedAt")),
        finished_at=aware_utc(doc.get("finishedAt")),
        total=doc.get("total", 0),
        applied=doc.get("applied", 0),
        failed=doc.get("failed", 0),
        progress=doc.get("progress", 0.0),
        errors=_problems_of(doc),
        error=LineProblem(0, failure["code"], failure["message"]) if failure else None,
    )


def claimed_of(doc: dict[str, Any]) -> ClaimedImport:
    """A job document as it was just before this worker claimed it."""
    who = doc["createdBy"]
    return ClaimedImport(
        id=str(doc["_id"]),
        submitted_by=Principal(
            tenant=doc["tenant"],
            role=Role(who["role"]),
            user_id=who.get("userId"),
            team_ids=frozenset(who.get("teamIds") or ()),
            key_id=who.get("keyId"),
        ),
        document_type=DocumentType(doc["documentType"]),
        format=Format(doc["format"]),
        size_bytes=doc["sizeBytes"],
        chunk_count=doc["chunkCount"],
        created_at=aware_utc(doc["createdAt"]),
        started=doc.get("startedAt") is not None,
        resumed_by_another=doc.get("owner") is not None,
        progress=Progress(
            line=doc.get("checkpointLine", 0),
            total=doc.get("total", 0),
            applied=doc.get("applied", 0),
            failed=doc.get("failed", 0),
            errors=_problems_of(doc),
        ),
    )


def progress_fields(progress: Progress) -> dict[str, Any]:
    return {
        "checkpointLine": progress.line,
        "total": progress.total,
        "applied": progress.applied,
        "failed": progress.failed,
        "errors": [problem_doc(p) for p in progress.errors],
    }


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
