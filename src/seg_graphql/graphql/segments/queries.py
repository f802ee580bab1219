"""Segment queries: thin translations to service calls."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.domain.inputs import SegmentListFilter, parse_model
from seg_graphql.domain.models import SegmentSelection
from seg_graphql.graphql.arguments import parse_id
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.pagination import (
    DEFAULT_FIRST,
    After,
    First,
    check_first,
    decode_cursor,
    encode_cursor,
)
from seg_graphql.graphql.segments.inputs import SegmentFilter
from seg_graphql.graphql.segments.types import Segment, SegmentConnection, SegmentEdge


@strawberry.type
class SegmentQuery:
    @strawberry.field(description="One segment of your tenant; NOT_FOUND otherwise.")
    async def segment(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The segment's id.")],
    ) -> Segment | None:
        segment = await info.context.segments.require(parse_id(id))
        return Segment.from_domain(segment)

    @strawberry.field(description="Segments of your tenant, oldest first.")
    async def segments(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
        filter: Annotated[
            SegmentFilter | None,
            strawberry.argument(description="Only segments matching all given fields."),
        ] = None,
    ) -> SegmentConnection:
        check_first(first)
        after_id = decode_cursor("segment", after)
        where = SegmentSelection()
        if filter:
            bounded = parse_model(
                SegmentListFilter, {"name": filter.name, "teamId": filter.team_id}, ("filter",)
            )
            where = SegmentSelection(
                name_contains=bounded.name, type=filter.type, team_id=bounded.team_id
            )
        service = info.context.segments
        page = await service.list_page(where, after_id=after_id, first=first)
        return SegmentConnection.of(
            page.items,
            lambda s: SegmentEdge.at(encode_cursor("segment", s.id), Segment.from_domain(s)),
            has_next=page.has_next,
            has_previous=after_id is not None,
            count_total=lambda: service.count(where),
        )
