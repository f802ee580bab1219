"""What the connected server supports, probed once at start-up.

FerretDB v1 (our real-wire test lane) has no TTL or partial indexes and no $facet; MongoDB
has all three. The store never requires them: expiry is enforced at query time and swept
periodically, and batched reads fall back to one command per item where $facet is missing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_PROBE = "_capability_probe"


@dataclass(frozen=True)
class Capabilities:
    server: str = "unknown"
    version: str = ""
    ttl_indexes: bool = False
    partial_indexes: bool = False
    facet: bool = False  # several sub-queries in one command: batched pages and counts
    # statements per update command: FerretDB v1.24 on SQLite stops answering at 100 or more
    # (measured: 99 updates 0.2 s, 100 never returned); MongoDB takes up to 100,000
    max_update_batch: int = 10_000

    def describe(self) -> str:
        return (
            f"server={self.server} {self.version} ttl_indexes={self.ttl_indexes} "
            f"partial_indexes={self.partial_indexes} facet={self.facet}"
        )


async def detect_capabilities(db: Any, *, embedded: bool) -> Capabilities:
    if embedded:
        # mongomock accepts a TTL index but never expires anything: treat it as absent.
        return Capabilities(server="embedded", version="mongomock", facet=True)
    info = await db.command("buildInfo")
    server = "ferretdb" if "ferretdbVersion" in info else "mongodb"
    probe = db[_PROBE]
    try:
        ttl = await _index_sticks(
            probe, "ttl_probe", {"expireAfterSeconds": 3600}, "expireAfterSeconds"
        )
        partial = await _index_sticks(
            probe,
            "partial_probe",
            {"partialFilterExpression": {"p": {"$exists": True}}},
            "partialFilterExpression",
        )
        await probe.insert_one({"p": 1})
        facet = await _stage_works(probe, {"$facet": {"n": [{"$count": "n"}]}})
    finally:
        await db.drop_collection(_PROBE)
    return Capabilities(
        server=server,
        version=str(info.get("version", "")),
        ttl_indexes=ttl,
        partial_indexes=partial,
        facet=facet,
        max_update_batch=50 if server == "ferretdb" else 10_000,
    )


async def _index_sticks(collection: Any, name: str, options: dict[str, Any], key: str) -> bool:
    try:
        await collection.create_index([(name, 1)], name=name, **options)
        info = await collection.index_information()
    except Exception as exc:
        log.debug("index option %s unsupported: %s", key, exc)
        return False
    return key in info.get(name, {})


async def _stage_works(collection: Any, stage: dict[str, Any]) -> bool:
    try:
        cursor = await collection.aggregate([stage])
        await cursor.to_list(None)
    except Exception as exc:
        log.debug("aggregation stage %s unsupported: %s", next(iter(stage)), exc)
        return False
    return True
