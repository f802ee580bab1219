"""Count output types: per-segment counts (recommendation seed) and rule previews."""

from __future__ import annotations

from datetime import datetime

import strawberry

from seg_graphql.graphql.segments.types import Segment
from seg_graphql.graphql.users.types import User


@strawberry.type(description="Members of a segment whose weight is at least minWeight.")
class SegmentCount:
    segment: Segment = strawberry.field(description="The segment counted.")
    user_count: int = strawberry.field(description="Members whose weight is at least minWeight.")
    strength: float = strawberry.field(
        description="The average weight of those members (0 when there are none)."
    )
    min_weight: float = strawberry.field(description="The minWeight the count was made with.")


@strawberry.type(
    description="A page of segment counts, as the recommendation seed's PageSegmentCount."
)
class SegmentCountPage:
    items: list[SegmentCount] = strawberry.field(description="This page's segments, by segment id.")
    total: int = strawberry.field(description="Segments counted, across pages.")
    page: int = strawberry.field(description="This page's number, from 1.")
    size: int = strawberry.field(description="The page size asked for.")
    computed_at: datetime = strawberry.field(description="When the cached counts were computed.")


@strawberry.type(description="What rules would select, without saving anything.")
class SegmentPreview:
    user_count: int = strawberry.field(description="Users the rules would put in the segment.")
    entering: int | None = strawberry.field(
        description="For an existing segment: users who would join."
    )
    leaving: int | None = strawberry.field(
        description="For an existing segment: users who would leave."
    )
    sample: list[User] = strawberry.field(
        description="Some of the users the rules select (at most 10)."
    )
    entering_sample: list[User] = strawberry.field(
        description="Some of the users who would join (at most 10)."
    )
    leaving_sample: list[User] = strawberry.field(
        description="Some of the users who would leave (at most 10)."
    )
