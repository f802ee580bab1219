"""Expiry of list entries (the mediarithmics expiration_duration / expiration_ts).

Entries live inside user documents, so no TTL index can remove them, and every expiry must
be recorded in the history anyway. Reads already ignore expired entries (member filters and
the evaluator compare expiresAt with now); this sweep makes the expiry permanent through the
membership writer: it takes the user off the list, recomputes the user's next expiry and
records an EXPIRED event.

It finds due users across tenants and writes each through its own tenant's scope. A user is
updated only if its `nextExpiry` is still the one read, so two server processes sweeping at
once record each expiry once: no lease is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from seg_graphql.domain.clock import utc_now
from seg_graphql.domain.history import EventSource
from seg_graphql.domain.membership_changes import Expire
from seg_graphql.jobs.periodic import Periodic
from seg_graphql.services.membership_writes import MembershipWriter
from seg_graphql.services.scope import Scope
from seg_graphql.store.client import Store
from seg_graphql.store.users import DueForExpiry

log = logging.getLogger(__name__)

BATCH = 500
MAX_PASSES = 100


class ListExpirySweeper:
    def __init__(
        self,
        store: Store,
        *,
        interval_seconds: float,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._due = DueForExpiry(store.db)
        self._interval = interval_seconds
        self._clock = clock or utc_now

    async def sweep_once(self) -> int:
        """Expires what is due; returns how many list entries expired."""
        now = self._clock()
        expired_total = 0
        # Each pass moves every due user's nextExpiry past now (or to null), even one with
        # nothing expired, so passes end; the bound only caps one sweep's work under a flood
        # of concurrent writes.
        for _ in range(MAX_PASSES):
            due = await self._due.find(now, BATCH)
            for tenant, users in sorted(due.items()):
                scope = Scope.system(self._store, tenant, clock=self._clock)
                writer = MembershipWriter(scope, EventSource.EXPIRY)
                outcomes = await writer.apply([Expire(user) for user in users], at=now)
                expired_total += sum(len(outcome.expired) for outcome in outcomes)
            if sum(len(users) for users in due.values()) < BATCH:
                break
        return expired_total

    async def logged_sweep(self) -> None:
        expired = await self.sweep_once()
        if expired:
            log.info("expired %d list entries", expired)

    def periodic(self) -> Periodic:
        return Periodic("list-expiry", self.logged_sweep, interval_seconds=self._interval)
