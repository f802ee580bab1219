"""Segment.from_domain fills the object past the dataclass constructor (for speed): it must
give exactly what the constructor gives, for every field the type declares."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import strawberry

from seg_graphql.domain.models import EditableBy, Rules, Segment, SegmentType
from seg_graphql.graphql.segments.types import Segment as SegmentType_


def _domain(**changes: object) -> Segment:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    segment = Segment(
        tenant="t",
        id=7,
        technical_name="vip",
        name="VIP",
        type=SegmentType.STATIC,
        rules=Rules(),
        editable_by=EditableBy.ASSIGNED,
        created_at=now,
        updated_at=now,
        description="who matters",
        url="https://example.com/vip",
        team_id="12",
        is_default=True,
        estimated_size=40,
        estimated_size_updated_at=now,
    )
    return dataclasses.replace(segment, **changes)


def _constructed(segment: Segment) -> SegmentType_:
    return SegmentType_(
        id=strawberry.ID(str(segment.id)),
        technical_name=segment.technical_name,
        name=segment.name,
        description=segment.description,
        type=segment.type,
        url=segment.url,
        team_id=strawberry.ID(segment.team_id) if segment.team_id else None,
        is_default=segment.is_default,
        editable_by=segment.editable_by,
        estimated_size=segment.estimated_size,
        estimated_size_updated_at=segment.estimated_size_updated_at,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
        domain=segment,
    )


def test_from_domain_equals_the_constructor():
    for segment in (
        _domain(),
        _domain(team_id=None, description=None, url=None),
        _domain(team_id=""),
    ):
        built = SegmentType_.from_domain(segment)
        assert type(built) is SegmentType_
        assert vars(built) == vars(_constructed(segment))


def test_from_domain_sets_every_declared_field():
    declared = {f.name for f in dataclasses.fields(SegmentType_) if f.init}
    assert set(vars(SegmentType_.from_domain(_domain()))) == declared
