"""Leases in MongoDB, so that of several server processes only one runs a given job at a time.

A lease is a document {_id: name, owner, leaseUntil}. Claiming succeeds when the lease is
free, expired, or already ours; a crashed owner's lease simply runs out. This relies on
MongoDB's atomic single-document updates (FerretDB v1 on SQLite does not guarantee them under
concurrency; see the tests).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from seg_graphql.domain.times import naive_utc
from seg_graphql.services.clock import utc_now
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
        try:
            with duplicates_as_domain():
                doc = await self._leases.find_one_and_update(
                    {"_id": name, "$or": [{"leaseUntil": {"$lte": now}}, {"owner": self.owner}]},
                    {"$set": {"owner": self.owner, "leaseUntil": now + ttl, "claimedAt": now}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
        except DuplicateKey:
            return False  # held by another owner: the upsert collided with its document
        return doc is not None and doc.get("owner") == self.owner

    async def release(self, name: str) -> None:
        await self._leases.update_one(
            {"_id": name, "owner": self.owner}, {"$set": {"leaseUntil": naive_utc(self._clock())}}
        )
