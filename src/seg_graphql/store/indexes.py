"""Index definitions; every index starts with `tenant` so every query is tenant-scoped
(except the lookups that precede knowing it: an API key hash, and the background jobs that
work across tenants: expiry sweep, estimate refresh, import claims, abandoned uploads)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from seg_graphql.store.capabilities import Capabilities

INDEXES: dict[str, list[IndexModel]] = {
    "segments": [
        IndexModel([("tenant", ASCENDING), ("id", ASCENDING)], unique=True, name="tenant_id"),
        IndexModel(
            [("tenant", ASCENDING), ("technicalName", ASCENDING)],
            unique=True,
            name="tenant_technical_name",
        ),
        IndexModel([("tenant", ASCENDING), ("teamId", ASCENDING)], name="tenant_team"),
        # the estimate refresh looks for stale estimates across tenants
        IndexModel([("estimatedSizeUpdatedAt", ASCENDING)], name="estimate_age"),
    ],
    "counters": [
        IndexModel([("tenant", ASCENDING), ("name", ASCENDING)], unique=True, name="tenant_name"),
    ],
    "users": [
        IndexModel([("tenant", ASCENDING), ("userId", ASCENDING)], unique=True, name="tenant_user"),
        IndexModel([("tenant", ASCENDING), ("emailLower", ASCENDING)], name="tenant_email"),
        IndexModel([("tenant", ASCENDING), ("emailHash", ASCENDING)], name="tenant_email_hash"),
        IndexModel([("tenant", ASCENDING), ("userAgentId", ASCENDING)], name="tenant_agent"),
        IndexModel(
            [("tenant", ASCENDING), ("compartmentId", ASCENDING), ("userAccountId", ASCENDING)],
            name="tenant_account",
        ),
        # segments a user has explicit state in: list members and overrides without a scan
        IndexModel([("tenant", ASCENDING), ("segs", ASCENDING)], name="tenant_segs"),
        IndexModel([("nextExpiry", ASCENDING)], name="next_expiry"),
    ],
    "membership_events": [
        IndexModel(
            [("tenant", ASCENDING), ("segmentId", ASCENDING), ("_id", DESCENDING)],
            name="tenant_segment_newest",
        ),
        IndexModel(
            [("tenant", ASCENDING), ("userId", ASCENDING), ("_id", DESCENDING)],
            name="tenant_user_newest",
        ),
    ],
    "count_cache": [
        IndexModel(
            [("tenant", ASCENDING), ("minWeight", ASCENDING)], unique=True, name="tenant_min_weight"
        ),
    ],
    "imports": [
        IndexModel([("tenant", ASCENDING), ("status", ASCENDING)], name="tenant_status"),
        # workers look for claimable jobs across tenants
        IndexModel([("status", ASCENDING), ("leaseUntil", ASCENDING)], name="status_lease"),
    ],
    "import_chunks": [
        IndexModel(
            [("tenant", ASCENDING), ("importId", ASCENDING), ("n", ASCENDING)],
            unique=True,
            name="tenant_import_n",
        ),
        # the sweep of abandoned uploads looks for old ones across tenants
        IndexModel([("importId", ASCENDING)], name="import_age"),
    ],
    "leases": [
        IndexModel([("name", ASCENDING), ("generation", DESCENDING)], name="name_generation"),
    ],
    "api_keys": [
        # The one lookup that precedes knowing the tenant: the key hash itself.
        IndexModel([("hash", ASCENDING)], unique=True, name="hash"),
        IndexModel([("tenant", ASCENDING), ("createdAt", ASCENDING)], name="tenant_created"),
    ],
}


async def ensure_indexes(db: Any, capabilities: Capabilities) -> None:
    """Creates the indexes that are missing. Existing ones are skipped by name: MongoDB
    accepts a repeated createIndexes, but FerretDB v1.24 drops the connection (a server-side
    panic) when a multi-index createIndexes names indexes that already exist."""
    for collection, models in INDEXES.items():
        existing = set(await db[collection].index_information())
        missing = [m for m in models if m.document["name"] not in existing]
        if missing:
            await db[collection].create_indexes(missing)
