"""The estimatedSize refresh: every interval, under a lease, recount the dynamic segments
whose estimate is older than the interval (or was never computed, or whose criteria changed:
those are marked and the job woken), tenant by tenant. Static segments' estimates are their
live list sizes, kept by the list writers."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from seg_graphql.domain.clock import utc_now
from seg_graphql.jobs.periodic import Periodic
from seg_graphql.services.counts import CountService
from seg_graphql.services.scope import Scope
from seg_graphql.store.client import Store
from seg_graphql.store.leases import Leases
from seg_graphql.store.segments import StaleEstimates

log = logging.getLogger(__name__)

LEASE = "estimate-refresh"
BATCH = 1_000


class EstimateRefresher:
    def __init__(self, store: Store, leases: Leases, *, interval_seconds: float) -> None:
        self._store = store
        self._leases = leases
        self._interval = timedelta(seconds=interval_seconds)

    async def run_cycle(self) -> int | None:
        """Refreshes stale estimates; None when another process holds the lease."""
        if not await self._leases.claim(LEASE, ttl=max(self._interval, timedelta(minutes=5))):
            return None
        try:
            return await self._refresh_stale()
        finally:
            await self._leases.release(LEASE)

    async def _refresh_stale(self) -> int:
        docs = await StaleEstimates(self._store.db).find(utc_now() - self._interval, BATCH)
        by_tenant: dict[str, list[int]] = {}
        for doc in docs:
            by_tenant.setdefault(doc["tenant"], []).append(doc["id"])
        refreshed = 0
        for tenant, ids in sorted(by_tenant.items()):
            scope = Scope.system(self._store, tenant)
            segments = await scope.segments.get_many(ids)
            refreshed += len(await CountService(scope).estimate(segments))
        return refreshed

    async def logged_cycle(self) -> None:
        started = time.perf_counter()
        refreshed = await self.run_cycle()
        if refreshed:
            log.info(
                "refreshed %d segment estimates in %.2fs", refreshed, time.perf_counter() - started
            )

    def periodic(self) -> Periodic:
        pause = min(self._interval.total_seconds(), 60.0)
        return Periodic("estimate-refresh", self.logged_cycle, interval_seconds=pause)
