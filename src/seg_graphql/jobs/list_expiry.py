"""Expiry of list entries (the mediarithmics expiration_duration / expiration_ts).

Entries live inside user documents, so no TTL index can remove them, and every expiry must
be recorded in the history anyway. Reads already ignore expired entries (member_filter and
the evaluator compare expiresAt with now); this sweep makes the expiry permanent: it takes
the user off the list, recomputes the user's next expiry and records an EXPIRED event.

It works across tenants, keeping each document's own tenant. A user is updated only if its
`nextExpiry` is still the one read, so two server processes sweeping at once record each
expiry once: no lease is needed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from seg_graphql.domain.history import EventAction, EventSource
from seg_graphql.domain.membership import Entry
from seg_graphql.domain.models import SegmentType
from seg_graphql.jobs.periodic import Periodic
from seg_graphql.services.clock import utc_now

log = logging.getLogger(__name__)

BATCH = 500
MAX_PASSES = 100


class ListExpirySweeper:
    def __init__(
        self, db: Any, *, interval_seconds: float, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._users = db["users"]
        self._events = db["membership_events"]
        self._segments = db["segments"]
        self._interval = interval_seconds
        self._clock = clock or utc_now

    async def sweep_once(self) -> int:
        """Expires what is due; returns how many list entries expired."""
        now = self._clock()
        stamp = now.astimezone(UTC).replace(tzinfo=None)
        expired_total = 0
        # Each pass moves every due user's nextExpiry past now (or to null), so passes end;
        # the bound only caps one sweep's work under a flood of concurrent writes.
        for _ in range(MAX_PASSES):
            due = (
                await self._users.find({"nextExpiry": {"$ne": None, "$lte": stamp}})
                .limit(BATCH)
                .to_list(BATCH)
            )
            left: Counter[tuple[str, int]] = Counter()
            for doc in due:
                expired_total += await self._expire_user(doc, now, stamp, left)
            await self._shrink_lists(left, stamp)
            if len(due) < BATCH:
                break
        return expired_total

    async def _shrink_lists(self, left: Counter[tuple[str, int]], stamp: datetime) -> None:
        """A static segment's estimatedSize is its list size: the entries this pass took off
        (each counted once: only the sweeper whose update landed counts it)."""
        for (tenant, segment_id), count in sorted(left.items()):
            await self._segments.update_one(
                {"tenant": tenant, "id": segment_id, "type": SegmentType.STATIC.value},
                {"$inc": {"estimatedSize": -count}, "$set": {"estimatedSizeUpdatedAt": stamp}},
            )

    async def _expire_user(
        self,
        doc: dict[str, Any],
        now: datetime,
        stamp: datetime,
        left: Counter[tuple[str, int]],
    ) -> int:
        expired: list[tuple[int, Entry]] = []
        remaining: list[datetime] = []
        for key, raw in (doc.get("m") or {}).items():
            entry = Entry.from_doc(raw)
            if entry is None or not entry.listed or entry.expires_at is None:
                continue
            if entry.expires_at <= now:
                expired.append((int(key[1:]), entry))
            else:
                remaining.append(raw["expiresAt"])
        update: dict[str, Any] = {"nextExpiry": min(remaining) if remaining else None}
        for segment_id, _ in expired:
            update[f"m.s{segment_id}.listed"] = False
        result = await self._users.update_one(
            {"_id": doc["_id"], "nextExpiry": doc["nextExpiry"]}, {"$set": update}
        )
        if result.modified_count != 1 or not expired:
            return 0  # another sweeper got there first, or nothing was due after all
        left.update((doc["tenant"], segment_id) for segment_id, _ in expired)
        await self._events.insert_many(
            [
                {
                    "tenant": doc["tenant"],
                    "segmentId": segment_id,
                    "userId": doc["userId"],
                    "at": stamp,
                    "action": EventAction.EXPIRED,
                    "before": {**entry.snapshot(now), "listed": True},
                    "after": {**entry.snapshot(now), "listed": False},
                    "source": EventSource.EXPIRY,
                    "actorKeyId": None,
                    "actorUserId": None,
                    "referenceId": None,
                    "description": None,
                    "statusAt": None,
                }
                for segment_id, entry in expired
            ]
        )
        return len(expired)

    async def logged_sweep(self) -> None:
        expired = await self.sweep_once()
        if expired:
            log.info("expired %d list entries", expired)

    def periodic(self) -> Periodic:
        return Periodic("list-expiry", self.logged_sweep, interval_seconds=self._interval)
