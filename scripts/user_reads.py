"""What reading users as domain values costs on the embedded store, where in-memory counts
and member pages read every user of the tenant per request: CPU of UserStore.everyone() and
of userCount for 20 dynamic segments (MemberStore.counts: every user read, then evaluated),
over 10,000 users, a third of them with 3 list entries. Median of 7 calls, a full GC before
each. Run it against another tree with PYTHONPATH=<tree>/src to compare.

    python scripts/user_reads.py
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from seg_graphql.domain.models import Criterion, EditableBy, Operator, Rules, Segment, SegmentType
from seg_graphql.store.client import connect, prepare
from seg_graphql.store.members import MemberStore
from seg_graphql.store.users import UserStore

USERS = 10_000
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _document(n: int) -> dict[str, Any]:
    """A user as the users collection holds it (written directly: the script measures reads)."""
    stamp = datetime(2026, 1, 1)
    doc: dict[str, Any] = {
        "tenant": "acme",
        "userId": f"u{n:05}",
        "email": f"u{n}@x.io",
        "emailLower": f"u{n}@x.io",
        "tier": ("gold", "silver", "bronze")[n % 3],
        "points": n,
        "badges": ["a"] if n % 2 else [],
        "customFields": {"k": n},
        "createdAt": stamp,
        "updatedAt": stamp,
    }
    if n % 3 == 0:
        entry = {"listed": True, "expiresAt": None, "weight": 1.0, "updatedAt": stamp}
        doc["m"] = {f"s{i}": dict(entry) for i in (1, 2, 3)}
        doc["segs"] = [1, 2, 3]
    return doc


def _segment(i: int) -> Segment:
    return Segment(
        tenant="acme",
        id=i,
        technical_name=f"s{i}",
        name=f"s{i}",
        type=SegmentType.DYNAMIC,
        rules=Rules(
            include=(
                Criterion("tier", Operator.IN, ["gold", "silver"]),
                Criterion("points", Operator.GTE, i * 100),
            ),
            exclude=(Criterion("badges", Operator.CONTAINS, "a"),),
        ),
        editable_by=EditableBy.ADMIN,
        created_at=AT,
        updated_at=AT,
    )


async def _cpu_ms(call: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(7):
        gc.collect()
        start = time.process_time()
        await call()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


async def main() -> None:
    store = await prepare(connect(None, "user_reads"))
    await store.db["users"].insert_many([_document(n) for n in range(USERS)])
    users = UserStore(store.db, "acme")
    segments = {i: _segment(i) for i in range(1, 21)}
    members = MemberStore(users, facet=True, embedded=True)
    print(f"everyone() over {USERS:,} users: {await _cpu_ms(users.everyone):.0f} ms CPU")
    counted = await _cpu_ms(lambda: members.counts(list(segments), segments, AT))
    print(f"userCount of 20 segments over {USERS:,} users: {counted:.0f} ms CPU")
    await store.close()


if __name__ == "__main__":
    asyncio.run(main())
