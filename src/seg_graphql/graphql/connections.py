"""Relay connection types; totalCount is computed only when asked for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

from seg_graphql.graphql.types import PageInfo, Segment

NodeT = TypeVar("NodeT")


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(
        description="Opaque; pass it as `after` to read the items that follow this one."
    )
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type
class CountedConnection:
    """What every list shares: its page info, and a total counted only when asked for."""

    page_info: PageInfo = strawberry.field(description="Where this page is in the list.")
    count_total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All items matching the list's filter, across pages.")
    async def total_count(self) -> int:
        return await self.count_total()


@strawberry.type(description="A segment in a page of segments.")
class SegmentEdge(Edge[Segment]):
    pass


@strawberry.type(description="A page of segments (Relay connection).")
class SegmentConnection(CountedConnection):
    edges: list[SegmentEdge] = strawberry.field(description="The page's segments with cursors.")

    @strawberry.field(description="The edges' nodes, for clients that need no cursors.")
    def nodes(self) -> list[Segment]:
        return [edge.node for edge in self.edges]


def page_info(cursors: list[str], *, has_next: bool, has_previous: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
