"""Opens the store: PyMongo's AsyncMongoClient for a URL, the embedded store otherwise."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pymongo
from pymongo import AsyncMongoClient

from seg_graphql.store.capabilities import Capabilities, detect_capabilities
from seg_graphql.store.embedded import EmbeddedClient
from seg_graphql.store.indexes import ensure_indexes
from seg_graphql.store.monitoring import CommandCounter

log = logging.getLogger(__name__)


@dataclass
class Store:
    client: Any
    db: Any
    embedded: bool
    counter: CommandCounter = field(default_factory=CommandCounter)
    capabilities: Capabilities = field(default_factory=Capabilities)
    server_selection_seconds: float = 2.0

    def deadline(self, seconds: float) -> float:
        """The time a request may take. Inside pymongo.timeout the driver waits for a server
        for the whole deadline, not serverSelectionTimeoutMS; so while no server is known to
        be up, the deadline shrinks to the selection timeout and an outage answers fast."""
        topology = getattr(self.client, "topology_description", None)
        if topology is None or topology.has_writable_server():
            return seconds
        return min(seconds, self.server_selection_seconds)

    def collection(self, name: str) -> Any:
        return self.db[name]

    async def ping(self, timeout_seconds: float = 0.4) -> bool:
        """Whether the store answers within `timeout_seconds` (readiness must answer fast,
        even when the server is gone and selecting it would wait much longer)."""
        try:
            with pymongo.timeout(timeout_seconds):
                reply = await self.db.command("ping")
        except Exception as exc:
            log.warning("store ping failed: %s", exc)
            return False
        return bool(reply.get("ok"))

    async def close(self) -> None:
        await self.client.close()


def connect(url: str | None, database: str, *, server_timeout_ms: int = 2_000) -> Store:
    """Creates the client without touching the network; `prepare` does the first round trip."""
    counter = CommandCounter()
    if not url:
        client = EmbeddedClient(counter)
        return Store(client=client, db=client[database], embedded=True, counter=counter)
    client = AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=server_timeout_ms,
        tz_aware=False,
        uuidRepresentation="standard",
        event_listeners=[counter],
    )
    return Store(
        client=client,
        db=client[database],
        embedded=False,
        counter=counter,
        server_selection_seconds=server_timeout_ms / 1000,
    )


async def prepare(store: Store) -> Store:
    """Detects what the server can do and ensures every index (idempotent)."""
    store.capabilities = await detect_capabilities(store.db, embedded=store.embedded)
    log.info("store capabilities: %s", store.capabilities.describe())
    await ensure_indexes(store.db, store.capabilities)
    return store
