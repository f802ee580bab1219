"""segment.members: a page of the users in a segment, batched across segments by a DataLoader."""

from __future__ import annotations

import strawberry

from seg_graphql.domain import models
from seg_graphql.graphql.connections import Edge, page_info
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.membership_types import User
from seg_graphql.graphql.pagination import check_first, decode_key, encode_key
from seg_graphql.graphql.types import PageInfo
from seg_graphql.services.membership import MemberPageKey


@strawberry.type(description="A member in a page of a segment's members.")
class MemberEdge(Edge[User]):
    pass


@strawberry.type(description="A page of a segment's members, by userId (Relay connection).")
class MemberConnection:
    edges: list[MemberEdge] = strawberry.field(description="The page's members with cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page is in the list.")
    segment_id: strawberry.Private[int]

    @strawberry.field(description="All members, across pages (the segment's userCount).")
    async def total_count(self, info: Info) -> int:
        return await info.context.member_count_loader.load(self.segment_id)

    @strawberry.field(description="The edges' nodes, for clients that need no cursors.")
    def nodes(self) -> list[User]:
        return [edge.node for edge in self.edges]


async def member_connection(
    info: Info, segment: models.Segment, first: int, after: str | None
) -> MemberConnection:
    check_first(first)
    after_user = decode_key("member", after)
    info.context.segment_loader.prime(segment.id, segment)
    docs, has_next = await info.context.member_page_loader.load(
        MemberPageKey(segment.id, first, after_user)
    )
    edges = [
        MemberEdge(cursor=encode_key("member", d["userId"]), node=User.from_document(d))
        for d in docs
    ]
    return MemberConnection(
        edges=edges,
        page_info=page_info(
            [e.cursor for e in edges], has_next=has_next, has_previous=after_user is not None
        ),
        segment_id=segment.id,
    )
