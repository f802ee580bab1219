"""Segment mutations: each returns a payload with its result and userErrors."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.domain import models
from seg_graphql.graphql.arguments import SEGMENT_ID, parse_id, to_data
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.errors import USER_ERRORS, UserError, user_errors_in
from seg_graphql.graphql.segments.inputs import (
    CreateSegmentInput,
    SegmentLinkInput,
    UpdateSegmentInput,
)
from seg_graphql.graphql.segments.types import Segment


@strawberry.type(description="The result of a mutation on one segment.")
class SegmentPayload:
    segment: Segment | None = strawberry.field(
        default=None, description="The segment as saved; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type(description="The result of deleteSegment.")
class DeleteSegmentPayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The deleted segment's id; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


def _refresh_soon(info: Info, segment: models.Segment) -> None:
    """A new dynamic segment, or one whose criteria changed, has no current estimate: the
    background refresh is woken now instead of at its next interval."""
    stale = segment.type is models.SegmentType.DYNAMIC and segment.estimated_size_updated_at is None
    if stale and info.context.wake_estimates is not None:
        info.context.wake_estimates()


@strawberry.type
class SegmentMutation:
    @strawberry.mutation(description="Creates a segment (ADMIN or EDITOR).")
    @user_errors_in(SegmentPayload)
    async def create_segment(
        self,
        info: Info,
        input: Annotated[CreateSegmentInput, strawberry.argument(description="The new segment.")],
    ) -> SegmentPayload | None:
        segment = await info.context.segments.create(to_data(input))
        _refresh_soon(info, segment)
        return SegmentPayload(segment=Segment.from_domain(segment))

    @strawberry.mutation(description="Changes the given fields of a segment.")
    @user_errors_in(SegmentPayload)
    async def update_segment(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=SEGMENT_ID)],
        input: Annotated[
            UpdateSegmentInput, strawberry.argument(description="The fields to change.")
        ],
    ) -> SegmentPayload | None:
        segment = await info.context.segments.update(parse_id(id), to_data(input))
        _refresh_soon(info, segment)
        return SegmentPayload(segment=Segment.from_domain(segment))

    @strawberry.mutation(description="Deletes a segment that no other segment's rules use.")
    @user_errors_in(DeleteSegmentPayload)
    async def delete_segment(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=SEGMENT_ID)]
    ) -> DeleteSegmentPayload | None:
        segment = await info.context.segments.delete(parse_id(id))
        return DeleteSegmentPayload(deleted_id=strawberry.ID(str(segment.id)))

    @strawberry.mutation(description="Links a team or user to a segment (idempotent).")
    @user_errors_in(SegmentPayload)
    async def attach_segment_link(
        self,
        info: Info,
        segment_id: Annotated[strawberry.ID, strawberry.argument(description=SEGMENT_ID)],
        link: Annotated[
            SegmentLinkInput, strawberry.argument(description="The team or user to link.")
        ],
    ) -> SegmentPayload | None:
        segment = await info.context.segments.attach_link(
            parse_id(segment_id, path="segmentId"), to_data(link)
        )
        return SegmentPayload(segment=Segment.from_domain(segment))

    @strawberry.mutation(description="Removes a link; NOT_FOUND when it is not this segment's.")
    @user_errors_in(SegmentPayload)
    async def detach_segment_link(
        self,
        info: Info,
        segment_id: Annotated[strawberry.ID, strawberry.argument(description=SEGMENT_ID)],
        link_id: Annotated[
            strawberry.ID, strawberry.argument(description="The link's id (SegmentLink.id).")
        ],
    ) -> SegmentPayload | None:
        segment = await info.context.segments.detach_link(
            parse_id(segment_id, path="segmentId"), parse_id(link_id, "link", "linkId")
        )
        return SegmentPayload(segment=Segment.from_domain(segment))
