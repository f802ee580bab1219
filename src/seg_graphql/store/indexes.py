"""Index definitions; every index starts with `tenant` so every query is tenant-scoped."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel

from seg_graphql.store.capabilities import Capabilities

INDEXES: dict[str, list[IndexModel]] = {
    "segments": [
        IndexModel([("tenant", ASCENDING), ("id", ASCENDING)], unique=True, name="tenant_id"),
        IndexModel([("tenant", ASCENDING), ("technicalName", ASCENDING)], unique=True,
                   name="tenant_technical_name"),
        IndexModel([("tenant", ASCENDING), ("teamId", ASCENDING)], name="tenant_team"),
    ],
    "counters": [
        IndexModel([("tenant", ASCENDING), ("name", ASCENDING)], unique=True, name="tenant_name"),
    ],
    "api_keys": [
        # The one lookup that precedes knowing the tenant: the key hash itself.
        IndexModel([("hash", ASCENDING)], unique=True, name="hash"),
        IndexModel([("tenant", ASCENDING), ("createdAt", ASCENDING)], name="tenant_created"),
    ],
}


async def ensure_indexes(db: Any, capabilities: Capabilities) -> None:
    for collection, models in INDEXES.items():
        await db[collection].create_indexes(models)
