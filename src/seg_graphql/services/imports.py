"""Import use cases for the API: submit a file as a job, read jobs.

Submitting stores the content in chunks first and only then makes the job PENDING, so a
job a worker can see always has all of its content. A failed upload removes its chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from seg_graphql.domain.errors import ErrorCode, UserInputError, not_found
from seg_graphql.domain.imports import (
    CHUNK_BYTES,
    DocumentType,
    Format,
    ImportJob,
    ImportStatus,
)
from seg_graphql.domain.inputs import parse_model
from seg_graphql.domain.models import Role
from seg_graphql.services.auth import require_role
from seg_graphql.services.scope import Scope
from seg_graphql.store.imports import CHUNKS_PER_TRIP, UnknownJobId

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
        import_id = self.store.new_id()
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
        job = ImportJob(
            id=import_id,
            tenant=self.principal.tenant,
            name=parsed.name,
            document_type=parsed.document_type,
            format=parsed.format,
            status=ImportStatus.PENDING,
            size_bytes=size,
            created_at=self._now(),
            started_at=None,
            finished_at=None,
            total=0,
            applied=0,
            failed=0,
            progress=0.0,
            errors=[],
            error=None,
        )
        await self.store.create(job, chunk_count=chunks, submitted_by=self.principal)
        return job

    async def _store_content(
        self, import_id: str, content: AsyncIterator[bytes]
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
        job = await self.store.get(job_id)
        if job is None:
            raise not_found("import job", job_id[:40], ("id",))
        return job

    async def page(
        self, *, status: ImportStatus | None, before: str | None, first: int
    ) -> tuple[list[ImportJob], bool]:
        try:
            jobs = await self.store.page(status, before=before, limit=first + 1)
        except UnknownJobId:
            raise not_found("import job", (before or "")[:40], ("after",)) from None
        return jobs[:first], len(jobs) > first

    async def count(self, status: ImportStatus | None) -> int:
        return await self.store.count(status)
