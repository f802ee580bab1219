"""The `count_cache` collection: segmentCounts results per (tenant, minWeight), until expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from seg_graphql.domain.times import aware_utc, naive_utc
from seg_graphql.store.scoped import TenantCollection


class CountCache:
    def __init__(self, db: Any, tenant: str) -> None:
        self._cache = TenantCollection(db["count_cache"], tenant)

    async def get(
        self, min_weight: float, now: datetime
    ) -> tuple[datetime, list[dict[str, Any]]] | None:
        doc = await self._cache.find_one(
            {"minWeight": min_weight, "expiresAt": {"$gt": naive_utc(now)}}
        )
        if doc is None:
            return None
        return aware_utc(doc["computedAt"]), doc["rows"]

    async def put(
        self, min_weight: float, rows: list[dict[str, Any]], now: datetime, expires_at: datetime
    ) -> tuple[datetime, list[dict[str, Any]]]:
        await self._cache.update_one(
            {"minWeight": min_weight},
            {
                "$set": {
                    "rows": rows,
                    "computedAt": naive_utc(now),
                    "expiresAt": naive_utc(expires_at),
                }
            },
            upsert=True,
        )
        return now, rows
