"""Import content and outcomes shared by the worker and process tests."""

from __future__ import annotations

import random

import orjson

from seg_graphql.domain.models import Principal, Role
from seg_graphql.domain.times import aware_utc
from seg_graphql.services.imports import ImportService
from seg_graphql.services.scope import Scope
from seg_graphql.services.segments import SegmentService


def principal(tenant):
    return Principal(tenant=tenant, role=Role.ADMIN, key_id=f"key-{tenant}")


def commands(seed=7, lines=120, users=15):
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        who = rng.choice(
            [
                {"email_hash": f"h{rng.randrange(users)}"},
                {"compartment_id": "c1", "user_account_id": f"a{rng.randrange(users)}"},
                {"user_agent_id": f"ua{rng.randrange(users)}"},
            ]
        )
        line = {
            "operation": rng.choice(["UPDATE", "UPDATE", "DELETE"]),
            "segment_id": str(rng.randrange(1, 4)),
            "expiration_duration": rng.choice([0, 60, 600]),
            "weight": rng.choice([0.1, 0.5, 1.0]),
            **who,
        }
        if rng.random() < 0.2:
            line["data_bag"] = orjson.dumps({"n": rng.randrange(5)}).decode()
        if rng.random() < 0.05:
            line = {"operation": "UPDATE", "segment_id": "1"}  # no identifier, no duration
        out.append(orjson.dumps(line).decode())
    return "\n".join(out).encode()


async def prepare(store, tenant):
    segments = SegmentService(Scope(store, principal(tenant)))
    for name in ("one", "two", "three"):
        await segments.create({"name": name, "type": "STATIC"})


async def submit(store, tenant, content, document_type="USER_SEGMENT"):
    service = ImportService(Scope(store, principal(tenant)), max_bytes=10**9)

    async def pieces():
        for start in range(0, len(content), 1000):
            yield content[start : start + 1000]

    job = await service.submit(
        {"documentType": document_type, "format": "NDJSON", "name": "t"}, pieces()
    )
    return job.id


async def outcome(store, tenant, job_id):
    """The memberships and history a job left, with expiry relative to the job's time."""
    job = await store.db["imports"].find_one({"tenant": tenant})
    at = aware_utc(job["createdAt"])
    users = {}
    async for doc in store.db["users"].find({"tenant": tenant}):
        entries = {}
        for key, entry in (doc.get("m") or {}).items():
            expires = aware_utc(entry.get("expiresAt"))
            entries[key] = (
                entry.get("listed"),
                entry.get("weight"),
                entry.get("dataBag"),
                (expires - at).total_seconds() if expires else None,
            )
        users[doc["userId"]] = (entries, sorted(doc.get("segs") or []))
    events = sorted(
        [
            (e["segmentId"], e["userId"], e["action"], e["description"].split(" line ")[1])
            async for e in store.db["membership_events"].find({"tenant": tenant})
        ]
    )
    counts = (job["status"], job["total"], job["applied"], job["failed"], len(job["errors"]))
    return users, events, counts
