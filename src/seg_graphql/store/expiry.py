"""Expiry of time-limited documents: a TTL index where the server has one, a sweep otherwise.

Either way reads must still filter with `live_filter`: a TTL monitor runs about once a
minute and a sweep at its interval, so an expired document can linger until then and must
already count nowhere. Sweeps are idempotent deletes, so several server processes may run
them at once without a lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from seg_graphql.store.capabilities import Capabilities

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Expiring:
    collection: str
    field: str = "expiresAt"

    @property
    def index_name(self) -> str:
        return f"ttl_{self.field}"


def live_filter(now: datetime, field: str = "expiresAt") -> dict[str, Any]:
    """Matches documents that never expire (field null or missing) or expire after `now`."""
    return {"$or": [{field: None}, {field: {"$gt": _naive(now)}}]}


async def ensure_ttl_indexes(
    db: Any, capabilities: Capabilities, expiring: Sequence[Expiring]
) -> bool:
    """Creates TTL indexes when the server supports them; False means a sweep is needed."""
    if not capabilities.ttl_indexes:
        return False
    for item in expiring:
        await db[item.collection].create_index(
            [(item.field, 1)], name=item.index_name, expireAfterSeconds=0
        )
    return True


class ExpirySweeper:
    def __init__(
        self,
        db: Any,
        expiring: Sequence[Expiring],
        *,
        interval_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._expiring = tuple(expiring)
        self._interval = interval_seconds
        self._clock = clock

    async def sweep_once(self) -> dict[str, int]:
        now = _naive(self._clock())
        removed: dict[str, int] = {}
        for item in self._expiring:
            result = await self._db[item.collection].delete_many(
                {item.field: {"$ne": None, "$lte": now}}
            )
            removed[item.collection] = result.deleted_count
        return removed

    async def run_forever(self) -> None:
        while True:
            try:
                removed = await self.sweep_once()
                if any(removed.values()):
                    log.info("expiry sweep removed %s", removed)
            except Exception:
                log.exception("expiry sweep failed; retrying at the next interval")
            await asyncio.sleep(self._interval)

    @contextlib.asynccontextmanager
    async def running(self) -> Any:
        task = asyncio.create_task(self.run_forever(), name="expiry-sweeper")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
