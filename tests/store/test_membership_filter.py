"""member_filter (one MongoDB filter) and state_of (in memory) agree, on both stores, for
users with overrides, list entries (expired or not) and profiles, and segments whose rules
reference other segments."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from seg_graphql.domain.membership import is_member
from seg_graphql.domain.models import (
    Criterion,
    EditableBy,
    Operator,
    Rules,
    Segment,
    SegmentType,
)
from seg_graphql.store.filters import member_filter
from seg_graphql.store.scoped import TenantCollection
from seg_graphql.store.users import user_of

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def random_user(rng: random.Random, n: int, segment_ids: list[int]) -> dict:
    doc: dict = {"userId": f"u{n:03d}"}
    if rng.random() < 0.8:
        doc["tier"] = rng.choice(["gold", "silver", "bronze"])
    if rng.random() < 0.8:
        doc["points"] = rng.choice([0, 50, 100, 500, 1000])
    if rng.random() < 0.5:
        doc["badges"] = rng.sample(["vip", "early", "test"], rng.randint(0, 2))
    entries = {}
    for sid in segment_ids:
        if rng.random() < 0.35:
            entry: dict = {"override": rng.choice([None, "ADD", "BLOCK"])}
            if rng.random() < 0.6:
                entry["listed"] = rng.random() < 0.8
                entry["expiresAt"] = rng.choice(
                    [
                        None,
                        (NOW - timedelta(minutes=5)).replace(tzinfo=None),
                        (NOW + timedelta(minutes=5)).replace(tzinfo=None),
                    ]
                )
            entries[f"s{sid}"] = entry
    if entries:
        doc["m"] = entries
        doc["segs"] = [int(k[1:]) for k in entries]
    return doc


def random_segments(rng: random.Random, count: int) -> dict[int, Segment]:
    segments: dict[int, Segment] = {}
    pool = [
        Criterion("tier", Operator.EQUALS, "gold"),
        Criterion("tier", Operator.IN, ["gold", "silver"]),
        Criterion("points", Operator.GTE, 100),
        Criterion("points", Operator.LT, 500),
        Criterion("badges", Operator.CONTAINS, "vip"),
        Criterion("badges", Operator.NOT_CONTAINS, "test"),
        Criterion("tier", Operator.NOT_EXISTS),
    ]
    for sid in range(1, count + 1):
        kind = SegmentType.STATIC if rng.random() < 0.25 else SegmentType.DYNAMIC
        include: list[Criterion] = []
        exclude: list[Criterion] = []
        if kind is SegmentType.DYNAMIC:
            include = rng.sample(pool, rng.randint(0, 2))
            exclude = rng.sample(pool, rng.randint(0, 1))
            if sid > 1 and rng.random() < 0.5:  # reference an earlier segment: no cycles
                ref = Criterion(
                    "segment",
                    rng.choice([Operator.EQUALS, Operator.NOT_EQUALS]),
                    rng.randint(1, sid - 1),
                )
                (include if rng.random() < 0.6 else exclude).append(ref)
        segments[sid] = Segment(
            tenant="acme",
            id=sid,
            technical_name=f"s{sid}",
            name=f"s{sid}",
            type=kind,
            rules=Rules(tuple(include), tuple(exclude)),
            editable_by=EditableBy.ADMIN,
            created_at=NOW,
            updated_at=NOW,
        )
    return segments


async def test_filter_and_evaluator_agree(store):
    rng = random.Random(7)
    users = TenantCollection(store.db["users"], "acme")
    for round_ in range(4):
        await store.db["users"].delete_many({})
        segments = random_segments(rng, 8)
        docs = [random_user(rng, n, list(segments)) for n in range(40)]
        for doc in docs:
            await users.insert_one(doc)
        other = TenantCollection(store.db["users"], "globex")
        await other.insert_one({"userId": "intruder", "tier": "gold", "points": 1000})
        for segment in segments.values():
            query = member_filter(segment, segments, NOW)
            found = {d["userId"] for d in await users.find(query, {"userId": 1}).to_list(None)}
            expected = {d["userId"] for d in docs if is_member(segment, user_of(d), segments, NOW)}
            assert found == expected, (round_, segment)
