"""Relay connections: the page info, edge and connection every list is made of, and one way
to build a page of them; totalCount is computed only when asked for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, Self, TypeVar

import strawberry

NodeT = TypeVar("NodeT")
ItemT = TypeVar("ItemT")

CountTotal = Callable[[], Awaitable[int]]


@strawberry.type(description="Where a page is in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More items follow: ask again with after: endCursor."
    )
    has_previous_page: bool = strawberry.field(
        description="This page was read with `after` (items precede it)."
    )
    start_cursor: str | None = strawberry.field(
        description="The first edge's cursor; null on an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor; null on an empty page."
    )


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(
        description="Opaque; pass it as `after` to read the items that follow this one."
    )
    node: NodeT = strawberry.field(description="The item.")

    @classmethod
    def at(cls, cursor: str, node: NodeT) -> Self:
        """The edge the constructor builds, without binding its keywords: a list builds one
        per item (tests/unit/test_edges.py holds the two equal)."""
        edge = object.__new__(cls)
        edge.__dict__ = {"cursor": cursor, "node": node}
        return edge


@strawberry.type
class Connection(Generic[NodeT]):
    """What every list shares: its page info, its nodes, and a total counted only when asked
    for. A subclass declares `edges` with its own edge type and description."""

    page_info: PageInfo = strawberry.field(description="Where this page is in the list.")
    count_total: strawberry.Private[CountTotal]

    @strawberry.field(description="All items matching the list's filter, across pages.")
    async def total_count(self) -> int:
        return await self.count_total()

    @strawberry.field(description="The edges' nodes, for clients that need no cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]  # type: ignore[attr-defined]

    @classmethod
    def of(
        cls,
        items: Iterable[ItemT],
        edge: Callable[[ItemT], Edge[Any]],
        *,
        has_next: bool,
        has_previous: bool,
        count_total: CountTotal,
    ) -> Self:
        """A page of `items`, each made an edge by `edge`."""
        edges = [edge(item) for item in items]
        return cls(
            edges=edges,  # type: ignore[call-arg]
            page_info=PageInfo(
                has_next_page=has_next,
                has_previous_page=has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            count_total=count_total,
        )
