"""with_references: the segments a count needs, fetched one level of reference at a time."""

from __future__ import annotations

from datetime import UTC, datetime

from seg_graphql.domain.models import Criterion, EditableBy, Operator, Rules, Segment, SegmentType
from seg_graphql.domain.segment_references import with_references

AT = datetime(2026, 1, 1, tzinfo=UTC)


def segment(segment_id: int, *refs: int) -> Segment:
    rules = Rules(include=tuple(Criterion("segment", Operator.IN, [r]) for r in refs))
    return Segment(
        tenant="t",
        id=segment_id,
        technical_name=f"s{segment_id}",
        name=f"s{segment_id}",
        type=SegmentType.DYNAMIC,
        rules=rules,
        editable_by=EditableBy.ADMIN,
        created_at=AT,
        updated_at=AT,
    )


async def test_every_referenced_segment_is_fetched_once_per_level():
    stored = {1: segment(1, 2, 3), 2: segment(2, 4), 3: segment(3, 4), 4: segment(4), 5: segment(5)}
    asked: list[set[int]] = []

    async def get_many(ids):
        asked.append(set(ids))
        return {i: stored[i] for i in ids if i in stored}

    found = await with_references({1: stored[1]}, get_many)
    assert sorted(found) == [1, 2, 3, 4]
    assert asked == [{2, 3}, {4}]


async def test_no_reference_costs_no_lookup():
    async def get_many(ids):
        raise AssertionError("not asked")

    assert await with_references({5: segment(5)}, get_many) == {5: segment(5)}
