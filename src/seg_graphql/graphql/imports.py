"""Imports: runImport (inline content or a multipart upload), importJob, importJobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from seg_graphql.domain import imports as domain
from seg_graphql.domain.errors import bad_input
from seg_graphql.domain.imports import CHUNK_BYTES
from seg_graphql.domain.times import aware_utc
from seg_graphql.graphql.connections import CountedConnection, page_info
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.errors import payload_or_errors
from seg_graphql.graphql.pagination import DEFAULT_FIRST, check_first, decode_key, encode_key
from seg_graphql.graphql.types import UserError
from seg_graphql.importer.parsers import Format

ImportDocumentType = strawberry.enum(
    domain.DocumentType,
    name="ImportDocumentType",
    description="USER_SEGMENT: the mediarithmics user segment commands (UPDATE/DELETE a user "
    "on a segment's list). USER_PROFILE: user profiles, as upsertUsers takes them.",
)
ImportFormat = strawberry.enum(
    Format,
    name="ImportFormat",
    description="NDJSON: one JSON object per line. CSV: a header "
    "line of field names, then one line per record (list/object cells hold JSON).",
)
ImportStatus = strawberry.enum(
    domain.ImportStatus,
    name="ImportStatus",
    description="PENDING (stored, waiting for a worker), RUNNING, SUCCEEDED (every line "
    "applied), PARTIAL (some lines failed, the others applied), FAILED (nothing applied, "
    "or the file itself is unusable).",
)
ImportErrorCode = strawberry.enum(domain.ImportErrorCode, name="ImportErrorCode")


@strawberry.type(description="A line that was not applied, and why.")
class ImportLineError:
    line: int = strawberry.field(description="1-based line number in the file.")
    code: ImportErrorCode
    message: str


@strawberry.type(description="Why a whole import failed.")
class ImportFailure:
    code: ImportErrorCode
    message: str


@strawberry.type(description="A bulk import, from submission to its end.")
class ImportJob:
    id: strawberry.ID
    name: str
    document_type: ImportDocumentType
    format: ImportFormat
    status: ImportStatus
    size_bytes: float = strawberry.field(description="Size of the submitted content in bytes.")
    total: int = strawberry.field(description="Lines read so far (all of them once finished).")
    applied: int
    failed: int = strawberry.field(description="Lines that failed; all are counted.")
    progress: float = strawberry.field(description="0 to 1: the share of the content read.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: ImportFailure | None = strawberry.field(description="Set when the whole job failed.")
    stored_errors: strawberry.Private[list[domain.LineProblem]]

    @strawberry.field(
        description=f"The first failed lines, in line order (at most "
        f"{domain.MAX_STORED_ERRORS} are kept; `failed` counts them all)."
    )
    def errors(self, first: int = domain.MAX_STORED_ERRORS) -> list[ImportLineError]:
        return [
            ImportLineError(line=p.line, code=domain.ImportErrorCode.of(p.code), message=p.message)
            for p in self.stored_errors[: check_first(first, limit=domain.MAX_STORED_ERRORS)]
        ]

    @classmethod
    def from_domain(cls, job: domain.ImportJob) -> ImportJob:
        return cls(
            id=strawberry.ID(job.id),
            name=job.name,
            document_type=job.document_type,
            format=Format(job.format),
            status=job.status,
            size_bytes=job.size_bytes,
            total=job.total,
            applied=job.applied,
            failed=job.failed,
            progress=job.progress,
            created_at=aware_utc(job.created_at),
            started_at=aware_utc(job.started_at),
            finished_at=aware_utc(job.finished_at),
            error=ImportFailure(
                code=domain.ImportErrorCode.of(job.error.code), message=job.error.message
            )
            if job.error
            else None,
            stored_errors=job.errors,
        )


@strawberry.type
class ImportJobEdge:
    cursor: str
    node: ImportJob


@strawberry.type
class ImportJobConnection(CountedConnection):
    edges: list[ImportJobEdge]

    @strawberry.field(description="The edges' nodes, for clients that need no cursors.")
    def nodes(self) -> list[ImportJob]:
        return [edge.node for edge in self.edges]


@strawberry.input
class RunImportInput:
    document_type: ImportDocumentType
    format: ImportFormat
    name: str
    content: str | None = strawberry.field(
        default=None, description="The file inline (small files; requests are size-bounded)."
    )
    file: Upload | None = strawberry.field(
        default=None,
        description="The file as a GraphQL multipart upload (send the header "
        "'Apollo-Require-Preflight: true').",
    )


@strawberry.type
class RunImportPayload:
    job: ImportJob | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ImportQuery:
    @strawberry.field(description="One import job of your tenant; NOT_FOUND otherwise.")
    async def import_job(self, info: Info, id: strawberry.ID) -> ImportJob | None:
        return ImportJob.from_domain(await info.context.imports.get(str(id)))

    @strawberry.field(description="Import jobs of your tenant, newest first.")
    async def import_jobs(
        self,
        info: Info,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        status: ImportStatus | None = None,
    ) -> ImportJobConnection:
        check_first(first)
        before = decode_key("import", after)
        service = info.context.imports
        jobs, has_next = await service.page(status=status, before=before, first=first)
        edges = [
            ImportJobEdge(cursor=encode_key("import", job.id), node=ImportJob.from_domain(job))
            for job in jobs
        ]
        return ImportJobConnection(
            edges=edges,
            page_info=page_info(
                [e.cursor for e in edges], has_next=has_next, has_previous=before is not None
            ),
            count_total=lambda: service.count(status),
        )


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Starts a bulk import and returns its job at once; the content is stored "
        "before the job starts, and the job survives server restarts."
    )
    async def run_import(self, info: Info, input: RunImportInput) -> RunImportPayload:
        async def run() -> RunImportPayload:
            request = {
                "documentType": input.document_type,
                "format": input.format,
                "name": input.name,
            }
            job = await info.context.imports.submit(request, _content_of(input))
            if info.context.wake_imports is not None:
                info.context.wake_imports()
            return RunImportPayload(job=ImportJob.from_domain(job))

        return await payload_or_errors(run, lambda e: RunImportPayload(user_errors=e))


def _content_of(input: RunImportInput) -> AsyncIterator[bytes]:
    if (input.content is None) == (input.file is None):
        raise bad_input("give the file as `content` or as `file`, exactly one", ("input",))
    if input.content is not None:
        return _whole(input.content.encode())
    if not callable(getattr(input.file, "read", None)):
        raise bad_input("`file` must be sent as a multipart upload", ("input", "file"))
    return _read_upload(input.file)


async def _whole(data: bytes) -> AsyncIterator[bytes]:
    yield data  # the service cuts it into chunks


async def _read_upload(upload: Any) -> AsyncIterator[bytes]:
    while piece := await upload.read(CHUNK_BYTES):
        yield piece
