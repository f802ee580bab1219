"""Leases in MongoDB, so that of several server processes only one runs a given job at a time.

A lease is a sequence of generations, one document each: {_id: "<name>#<generation>", name,
generation, owner, leaseUntil}. Taking a lease is creating the next generation's document,
which a unique _id makes exclusive on any server. Conditional updates are not enough:
FerretDB v1 (SQLite) does not apply them atomically under concurrency, so two claimers
could both "win" an expired lease. The owner renews its own generation; releasing lets it
run out at once; a crashed owner's generation simply runs out. Generations never go back,
so a claimer that read an old state can only collide, never take a lease twice.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pymongo import DESCENDING

from seg_graphql.domain.clock import utc_now
from seg_graphql.domain.times import naive_utc
from seg_graphql.store.errors import DuplicateKey, duplicates_as_domain


def new_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases:
    def __init__(self, db: Any, owner: str, clock: Callable[[], datetime] | None = None) -> None:
        self._leases = db["leases"]
        self.owner = owner
        self._clock = clock or utc_now

    async def claim(self, name: str, ttl: timedelta) -> bool:
        now = naive_utc(self._clock())
        current = await self._leases.find_one({"name": name}, sort=[("generation", DESCENDING)])
        if current is not None and current["leaseUntil"] > now:
            if current["owner"] != self.owner:
                return False
            renewed = await self._leases.update_one(
                {"_id": current["_id"], "owner": self.owner},
                {"$set": {"leaseUntil": now + ttl}},
            )
            return renewed.matched_count == 1
        generation = current["generation"] + 1 if current is not None else 0
        try:
            with duplicates_as_domain():
                await self._leases.insert_one(
                    {
                        "_id": f"{name}#{generation}",
                        "name": name,
                        "generation": generation,
                        "owner": self.owner,
                        "leaseUntil": now + ttl,
                    }
                )
        except DuplicateKey:
            return False  # another claimer took this generation first
        await self._leases.delete_many({"name": name, "generation": {"$lt": generation}})
        return True

    async def release(self, name: str) -> None:
        await self._leases.update_many(
            {"name": name, "owner": self.owner},
            {"$set": {"leaseUntil": naive_utc(self._clock())}},
        )
