"""Store errors in the store's own terms, so services never import the driver."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure


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
