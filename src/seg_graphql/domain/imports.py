"""Import jobs: what a job is, its states, and the bounds that keep it safe.

A job's content is stored in chunks before it is PENDING; a worker holding the job's lease
moves it to RUNNING, checkpoints after each applied batch, and ends it SUCCEEDED (every
line applied), PARTIAL (some lines failed), or FAILED (a file-level problem, or no line
applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from seg_graphql.domain.models import Principal, Role

CHUNK_BYTES = 256 * 1024  # well under MongoDB's 16 MB document limit, and cheap to hold
MAX_STORED_ERRORS = 100  # line errors kept on the job; later ones are only counted
MAX_RECOVERIES = 5  # a job that kills its worker this often is failed, not retried forever


class Format(StrEnum):
    NDJSON = "NDJSON"
    CSV = "CSV"


class DocumentType(StrEnum):
    USER_SEGMENT = "USER_SEGMENT"
    USER_PROFILE = "USER_PROFILE"


class ImportStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"

    @property
    def finished(self) -> bool:
        return self in (ImportStatus.SUCCEEDED, ImportStatus.PARTIAL, ImportStatus.FAILED)


class ImportErrorCode(StrEnum):
    MALFORMED_JSON = "MALFORMED_JSON"  # a line that is not one JSON object
    MALFORMED_CSV = "MALFORMED_CSV"  # a CSV line that cannot be read, or has the wrong cells
    UNREADABLE_LINE = "UNREADABLE_LINE"  # over 64 KiB, or not UTF-8
    BAD_USER_INPUT = "BAD_USER_INPUT"  # a field is missing or wrong
    NOT_FOUND = "NOT_FOUND"  # the segment does not exist in the tenant
    FORBIDDEN = "FORBIDDEN"  # the submitting key may not edit that segment
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"  # the segment's list is full
    DUPLICATE = "DUPLICATE"  # an identifier of the profile belongs to another user
    BAD_HEADER = "BAD_HEADER"  # job level: the CSV header names unknown or repeated columns
    EMPTY_FILE = "EMPTY_FILE"  # job level: nothing to import
    INTERNAL = "INTERNAL"  # job level: the job kept stopping its worker

    @classmethod
    def of(cls, code: str) -> ImportErrorCode:
        return cls(code) if code in cls.__members__ else cls.BAD_USER_INPUT


@dataclass(frozen=True)
class LineProblem:
    line: int
    code: str
    message: str

    def to_doc(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "message": self.message}


@dataclass
class Progress:
    """What a job has done so far; saved whole at every checkpoint, so saving it twice is
    the same as saving it once."""

    line: int = 0  # every line up to this one is applied or reported
    total: int = 0
    applied: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    bytes_read: int = 0

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Progress:
        return cls(
            line=doc.get("checkpointLine", 0),
            total=doc.get("total", 0),
            applied=doc.get("applied", 0),
            failed=doc.get("failed", 0),
            errors=list(doc.get("errors") or []),
        )

    def record(self, applied: int, problems: list[LineProblem], last_line: int) -> None:
        self.applied += applied
        self.failed += len(problems)
        self.total += applied + len(problems)
        room = MAX_STORED_ERRORS - len(self.errors)
        self.errors.extend(p.to_doc() for p in sorted(problems, key=lambda p: p.line)[:room])
        self.line = max(self.line, last_line)

    def final_status(self) -> ImportStatus:
        if self.failed == 0 and self.total > 0:
            return ImportStatus.SUCCEEDED
        return ImportStatus.PARTIAL if self.applied > 0 else ImportStatus.FAILED

    def fields(self, size: int) -> dict[str, Any]:
        return {
            "checkpointLine": self.line,
            "total": self.total,
            "applied": self.applied,
            "failed": self.failed,
            "errors": self.errors,
            "progress": min(self.bytes_read / size, 0.99) if size else 0.0,
        }


@dataclass(frozen=True)
class ImportJob:
    id: str
    tenant: str
    name: str
    document_type: DocumentType
    format: str
    status: ImportStatus
    size_bytes: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int
    applied: int
    failed: int
    progress: float
    errors: list[LineProblem]
    error: LineProblem | None  # a job-level failure (line 0)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ImportJob:
        failure = doc.get("error")
        return cls(
            id=str(doc["_id"]),
            tenant=doc["tenant"],
            name=doc["name"],
            document_type=DocumentType(doc["documentType"]),
            format=doc["format"],
            status=ImportStatus(doc["status"]),
            size_bytes=doc.get("sizeBytes", 0),
            created_at=doc["createdAt"],
            started_at=doc.get("startedAt"),
            finished_at=doc.get("finishedAt"),
            total=doc.get("total", 0),
            applied=doc.get("applied", 0),
            failed=doc.get("failed", 0),
            progress=doc.get("progress", 0.0),
            errors=[LineProblem(e["line"], e["code"], e["message"]) for e in doc.get("errors", [])],
            error=LineProblem(0, failure["code"], failure["message"]) if failure else None,
        )


def principal_doc(principal: Principal) -> dict[str, Any]:
    """Who submitted a job: the worker acts with exactly these rights, later."""
    return {
        "keyId": principal.key_id,
        "role": principal.role.value,
        "userId": principal.user_id,
        "teamIds": sorted(principal.team_ids),
    }


def principal_of(job: dict[str, Any]) -> Principal:
    who = job["createdBy"]
    return Principal(
        tenant=job["tenant"],
        role=Role(who["role"]),
        user_id=who.get("userId"),
        team_ids=frozenset(who.get("teamIds") or ()),
        key_id=who.get("keyId"),
    )
