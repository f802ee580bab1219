"""Store errors in the store's own terms, so services never import the driver."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

UNAVAILABLE = "UNAVAILABLE"
TIMEOUT = "TIMEOUT"


class DuplicateKey(Exception):
    """A unique index refused the write."""


@contextlib.contextmanager
def duplicates_as_domain() -> Iterator[None]:
    # MongoDB reports E11000 (DuplicateKeyError); FerretDB v1 reports findAndModify's unique
    # violations as InternalError code 1 with SQLite's "UNIQUE constraint failed".
    try:
        yield
    except DuplicateKeyError as exc:
        raise DuplicateKey(str(exc)) from exc
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors") or []
        if errors and all(_duplicate(e.get("code"), e.get("errmsg", "")) for e in errors):
            raise DuplicateKey(str(exc)) from exc
        raise
    except OperationFailure as exc:
        if _duplicate(exc.code, str(exc)):
            raise DuplicateKey(str(exc)) from exc
        raise


def _duplicate(code: int | None, message: str) -> bool:
    return code == 11000 or "UNIQUE constraint failed" in message


def outage_code(exc: BaseException | None) -> str | None:
    """UNAVAILABLE when the store cannot be reached, TIMEOUT when the request's deadline
    (pymongo.timeout, which also sets maxTimeMS) ran out; None for anything else."""
    seen = 0
    while exc is not None and seen < 10:  # the driver's error may be wrapped
        if isinstance(exc, ServerSelectionTimeoutError):
            return UNAVAILABLE
        if isinstance(exc, PyMongoError) and exc.timeout:
            return TIMEOUT
        if isinstance(exc, ConnectionFailure):
            return UNAVAILABLE
        if isinstance(exc, OperationFailure) and exc.code == 50:  # MaxTimeMSExpired
            return TIMEOUT
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None
