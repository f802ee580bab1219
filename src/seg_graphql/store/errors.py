"""Store errors in the store's own terms, so services never import the driver."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pymongo.errors import DuplicateKeyError, OperationFailure


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
    except OperationFailure as exc:
        if exc.code == 11000 or "UNIQUE constraint failed" in str(exc):
            raise DuplicateKey(str(exc)) from exc
        raise
