"""A bound on the GraphQL requests one process serves at once. Beyond it a request is
refused at once (503 + Retry-After) rather than queued: a queue that grows under overload
only turns every request into a slow one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class Admission:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0

    @contextlib.contextmanager
    def slot(self) -> Iterator[bool]:
        """Yields whether the request may run; a refused one holds no slot."""
        if self.in_flight >= self.limit:
            yield False
            return
        self.in_flight += 1
        try:
            yield True
        finally:
            self.in_flight -= 1
