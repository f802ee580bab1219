"""Import output types: the job, its progress and its failed lines."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from seg_graphql.domain import imports as domain
from seg_graphql.domain.imports import Format
from seg_graphql.domain.times import aware_utc
from seg_graphql.graphql.connections import Connection, Edge
from seg_graphql.graphql.pagination import check_first
from seg_graphql.graphql.scalars import described_enum

ImportDocumentType = described_enum(
    domain.DocumentType,
    name="ImportDocumentType",
    description="What the lines of an import are.",
    values={
        "USER_SEGMENT": "mediarithmics user segment commands: operation UPDATE or DELETE puts a "
        "user on a segment's list or takes them off (expiration_duration is mandatory).",
        "USER_PROFILE": "User profiles, with upsertUsers' fields (userId, email, tier...).",
    },
)
ImportFormat = described_enum(
    Format,
    name="ImportFormat",
    description="How the import file is written.",
    values={
        "NDJSON": "One JSON object per line.",
        "CSV": "A header line of field names, then one line per record; list and object "
        "cells hold JSON.",
    },
)
ImportStatus = described_enum(
    domain.ImportStatus,
    name="ImportStatus",
    description="Where an import job is.",
    values={
        "PENDING": "Stored, waiting for a worker.",
        "RUNNING": "A worker is applying it; see progress.",
        "SUCCEEDED": "Finished: every line applied.",
        "PARTIAL": "Finished: some lines failed (see errors), the others were applied.",
        "FAILED": "Finished: nothing applied, or the file itself is unusable (see error).",
    },
)
ImportErrorCode = described_enum(
    domain.ImportErrorCode,
    name="ImportErrorCode",
    description="Why an import line (or a whole import) failed.",
    values={
        "MALFORMED_JSON": "The line is not one JSON object.",
        "MALFORMED_CSV": "The CSV line cannot be read, or has the wrong number of cells.",
        "UNREADABLE_LINE": "The line is over 64 KiB, or not UTF-8.",
        "BAD_USER_INPUT": "A field is missing or has a wrong value.",
        "NOT_FOUND": "The segment does not exist in your tenant.",
        "FORBIDDEN": "The submitting key may not edit that segment.",
        "LIMIT_EXCEEDED": "The segment's list is full (100,000 users).",
        "DUPLICATE": "An identifier of the profile belongs to another user.",
        "BAD_HEADER": "Whole job: the CSV header names unknown or repeated columns.",
        "EMPTY_FILE": "Whole job: there is nothing to import.",
        "INTERNAL": "Whole job: it kept stopping its worker and was given up.",
    },
)


@strawberry.type(description="A line that was not applied, and why.")
class ImportLineError:
    line: int = strawberry.field(description="1-based line number in the file.")
    code: ImportErrorCode = strawberry.field(description="Why the line failed.")
    message: str = strawberry.field(description="What is wrong with the line, for people.")


@strawberry.type(description="Why a whole import failed.")
class ImportFailure:
    code: ImportErrorCode = strawberry.field(
        description="Why the job failed (BAD_HEADER, EMPTY_FILE, INTERNAL)."
    )
    message: str = strawberry.field(description="What went wrong, for people.")


@strawberry.type(description="A bulk import, from submission to its end.")
class ImportJob:
    id: strawberry.ID = strawberry.field(description="The job's id, for importJob.")
    name: str = strawberry.field(description="The name given at submission.")
    document_type: ImportDocumentType = strawberry.field(description="What the lines are.")
    format: ImportFormat = strawberry.field(description="How the file is written.")
    status: ImportStatus = strawberry.field(description="Where the job is.")
    size_bytes: float = strawberry.field(description="Size of the submitted content in bytes.")
    total: int = strawberry.field(description="Lines read so far (all of them once finished).")
    applied: int = strawberry.field(description="Lines applied so far.")
    failed: int = strawberry.field(description="Lines that failed; all are counted.")
    progress: float = strawberry.field(description="0 to 1: the share of the content read.")
    created_at: datetime = strawberry.field(
        description="When the job was submitted (its content stored)."
    )
    started_at: datetime | None = strawberry.field(
        description="When a worker first claimed it; null while PENDING."
    )
    finished_at: datetime | None = strawberry.field(description="When it ended; null until then.")
    error: ImportFailure | None = strawberry.field(description="Set when the whole job failed.")
    stored_errors: strawberry.Private[list[domain.LineProblem]]

    @strawberry.field(
        description=f"The first failed lines, in line order (at most "
        f"{domain.MAX_STORED_ERRORS} are kept; `failed` counts them all)."
    )
    def errors(
        self,
        first: Annotated[
            int,
            strawberry.argument(
                description=f"How many to return (default and most: {domain.MAX_STORED_ERRORS})."
            ),
        ] = domain.MAX_STORED_ERRORS,
    ) -> list[ImportLineError]:
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


@strawberry.type(description="An import job in a page of jobs.")
class ImportJobEdge(Edge[ImportJob]):
    pass


@strawberry.type(description="A page of import jobs, newest first (Relay connection).")
class ImportJobConnection(Connection[ImportJob]):
    edges: list[ImportJobEdge] = strawberry.field(description="The page's jobs with cursors.")
