"""Apollo's automatic persisted queries: a client sends a query's SHA-256 instead of its text.

The protocol (`extensions.persistedQuery = {version: 1, sha256Hash}`): an unknown hash gets
PERSISTED_QUERY_NOT_FOUND, the client then sends the query with its hash, the server checks
the hash and remembers the query, and later requests (GET ones too, so a CDN can cache them)
carry the hash alone. The registry is per process, bounded (least recently used entries go
first), and keyed by tenant as well, so one tenant never learns what another one runs.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

# A longer query still runs, but is not remembered: the registry's memory stays bounded.
MAX_QUERY_CHARS = 16 * 1024
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str, *, request_error: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        # a GraphQL request error (the client may recover) rather than a malformed request
        self.request_error = request_error


@dataclass(frozen=True)
class Resolved:
    query: str
    register_as: str | None  # the hash to remember the query under once it ran


class PersistedQueries:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._queries: OrderedDict[tuple[str, str], str] = OrderedDict()

    def resolve(self, tenant: str, params: dict[str, Any]) -> Resolved | None:
        """The query a request stands for, or None when it does not use the protocol."""
        extensions = params.get("extensions")
        if not isinstance(extensions, dict) or "persistedQuery" not in extensions:
            return None
        digest = _digest(extensions["persistedQuery"])
        if self.max_entries == 0:
            raise PersistedQueryError(
                "PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED", request_error=True
            )
        query = params.get("query")
        if query is None:
            known = self._queries.get((tenant, digest))
            if known is None:
                raise PersistedQueryError(
                    "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", request_error=True
                )
            self._queries.move_to_end((tenant, digest))
            return Resolved(known, None)
        if not isinstance(query, str):
            return None  # the ordinary parameter checks report it
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            raise PersistedQueryError(
                "persistedQuery.sha256Hash is not the SHA-256 of the query",
                "PERSISTED_QUERY_HASH_MISMATCH",
            )
        return Resolved(query, digest if len(query) <= MAX_QUERY_CHARS else None)

    def register(self, tenant: str, digest: str, query: str) -> None:
        self._queries[(tenant, digest)] = query
        self._queries.move_to_end((tenant, digest))
        while len(self._queries) > self.max_entries:
            self._queries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._queries)


def _digest(persisted: Any) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError(
            "extensions.persistedQuery must be {version: 1, sha256Hash}", "BAD_REQUEST"
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise PersistedQueryError(
            "extensions.persistedQuery.sha256Hash must be a hex SHA-256", "BAD_REQUEST"
        )
    return digest.lower()
