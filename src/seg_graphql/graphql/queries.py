"""Query resolvers: thin translations to service calls."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.domain.errors import not_found
from seg_graphql.domain.identifiers import parse_numeric_id
from seg_graphql.domain.inputs import SegmentListFilter, parse_model
from seg_graphql.domain.models import SegmentSelection
from seg_graphql.graphql.connections import SegmentConnection, SegmentEdge, page_info
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.inputs import SegmentFilter
from seg_graphql.graphql.pagination import (
    AFTER,
    DEFAULT_FIRST,
    FIRST,
    check_first,
    decode_cursor,
    encode_cursor,
)
from seg_graphql.graphql.types import Segment, Viewer


def parse_id(raw: str, kind: str = "segment", path: str = "id") -> int:
    """Ids are short integers; anything else cannot exist, so it is NOT_FOUND."""
    parsed = parse_numeric_id(raw)
    if parsed is None:
        raise not_found(kind, raw[:40], (path,))
    return parsed


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
        first: Annotated[int, strawberry.argument(description=FIRST)] = DEFAULT_FIRST,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        filter: Annotated[
            SegmentFilter | None,
            strawberry.argument(description="Only segments matching all given fields."),
        ] = None,
    ) -> SegmentConnection:
        check_first(first)
        after_id = decode_cursor("segment", after)
        bounded = parse_model(
            SegmentListFilter,
            {"name": filter.name, "teamId": filter.team_id} if filter else {},
            ("filter",),
        )
        where = SegmentSelection(
            name_contains=bounded.name,
            type=filter.type if filter else None,
            team_id=bounded.team_id,
        )
        service = info.context.segments
        page = await service.list_page(where, after_id=after_id, first=first)
        edges = [
            SegmentEdge(cursor=encode_cursor("segment", s.id), node=Segment.from_domain(s))
            for s in page.items
        ]
        return SegmentConnection(
            edges=edges,
            page_info=page_info(
                [e.cursor for e in edges], has_next=page.has_next, has_previous=after_id is not None
            ),
            count_total=lambda: service.count(where),
        )

    @strawberry.field(description="The tenant, role and identity of the API key in use.")
    def viewer(self, info: Info) -> Viewer:
        p = info.context.principal
        return Viewer(
            tenant=p.tenant,
            role=p.role,
            user_id=strawberry.ID(p.user_id) if p.user_id else None,
            team_ids=[strawberry.ID(t) for t in sorted(p.team_ids)],
        )
