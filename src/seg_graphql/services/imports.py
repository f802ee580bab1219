"""Import use cases for the API: submit a file as a job, read jobs.

Submitting stores the content in chunks first and only then makes the job PENDING, so a
job a worker can see always has all of its content. A failed upload removes its chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from bson import ObjectId
from bson.errors import InvalidId
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from seg_graphql.domain.errors import ErrorCode, UserInputError, not_found
from seg_graphql.domain.imports import (
    CHUNK_BYTES,
    DocumentType,
    Format,
    ImportJob,
    ImportStatus,
    principal_doc,
)
from seg_graphql.domain.inputs import parse_model
from seg_graphql.domain.models import Role
from seg_graphql.domain.times import naive_utc
from seg_graphql.services.auth import require_role
from seg_graphql.services.scope import Scope
from seg_graphql.store.imports import CHUNKS_PER_TRIP

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    document_type: DocumentType = Field(alias="documentType")
    format: Format
    name: Name


class ImportService:
    def __init__(self, scope: Scope, *, max_bytes: int) -> None:
        self.principal = scope.principal
        self.store = scope.imports
        self.max_bytes = max_bytes
        self._now = scope.now

    async def submit(self, request: dict[str, Any], content: AsyncIterator[bytes]) -> ImportJob:
        require_role(self.principal, Role.ADMIN, Role.EDITOR)
        parsed = parse_model(ImportRequest, request, ("input",))
        import_id = ObjectId()
        try:
            size, chunks = await self._store_content(import_id, content)
        except BaseException:
            await self.store.delete_chunks(import_id)
            raise
        if size == 0:
            await self.store.delete_chunks(import_id)
            raise UserInputError.single(
                ErrorCode.BAD_USER_INPUT, "the file is empty: nothing to import", ("input",)
            )
        now = naive_utc(self._now())
        job = {
            "_id": import_id,
            "name": parsed.name,
            "documentType": parsed.document_type.value,
            "format": parsed.format.value,
            "status": ImportStatus.PENDING.value,
            "sizeBytes": size,
            "chunkCount": chunks,
            "createdAt": now,
            "updatedAt": now,
            "startedAt": None,
            "finishedAt": None,
            "createdBy": principal_doc(self.principal),
            "total": 0,
            "applied": 0,
            "failed": 0,
            "progress": 0.0,
            "errors": [],
            "error": None,
            "checkpointLine": 0,
            "owner": None,
            "leaseUntil": now,
            "recoveries": 0,
            "claims": [],
        }
        await self.store.insert(job)
        return ImportJob.from_doc({**job, "tenant": self.principal.tenant})

    async def _store_content(
        self, import_id: ObjectId, content: AsyncIterator[bytes]
    ) -> tuple[int, int]:
        """Re-cuts the incoming pieces into CHUNK_BYTES chunks, written a few per round trip;
        refuses beyond max_bytes."""
        size = 0
        stored = 0
        buffer = bytearray()
        pending: list[bytes] = []
        async for piece in content:
            size += len(piece)
            if size > self.max_bytes:
                raise UserInputError.single(
                    ErrorCode.LIMIT_EXCEEDED,
                    f"the import exceeds {self.max_bytes} bytes (limit)",
                    ("input",),
                )
            buffer.extend(piece)
            while len(buffer) >= CHUNK_BYTES:
                pending.append(bytes(buffer[:CHUNK_BYTES]))
                del buffer[:CHUNK_BYTES]
            if len(pending) >= CHUNKS_PER_TRIP:
                await self.store.save_chunks(import_id, stored, pending)
                stored += len(pending)
                pending = []
        if buffer:
            pending.append(bytes(buffer))
        if pending:
            await self.store.save_chunks(import_id, stored, pending)
            stored += len(pending)
        return size, stored

    async def get(self, job_id: str) -> ImportJob:
        doc = await self.store.get(_object_id(job_id))
        if doc is None:
            raise not_found("import job", job_id[:40], ("id",))
        return ImportJob.from_doc(doc)

    async def page(
        self, *, status: ImportStatus | None, before: str | None, first: int
    ) -> tuple[list[ImportJob], bool]:
        where = {"status": status.value} if status else {}
        docs = await self.store.page(
            where, before=_object_id(before, "after") if before else None, limit=first + 1
        )
        return [ImportJob.from_doc(d) for d in docs[:first]], len(docs) > first

    async def count(self, status: ImportStatus | None) -> int:
        return await self.store.count({"status": status.value} if status else {})


def _object_id(raw: str, path: str = "id") -> ObjectId:
    try:
        return ObjectId(raw)
    except (InvalidId, TypeError):
        raise not_found("import job", raw[:40], (path,)) from None
