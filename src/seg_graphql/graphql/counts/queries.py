"""Count queries: segmentCounts (recommendation seed) and previewSegment (dry run)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.graphql.arguments import parse_id
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.counts.types import SegmentCount, SegmentCountPage, SegmentPreview
from seg_graphql.graphql.scalars import JSON
from seg_graphql.graphql.segments.inputs import RulesInput
from seg_graphql.graphql.segments.types import Segment
from seg_graphql.graphql.users.types import User


@strawberry.type
class CountQuery:
    @strawberry.field(
        description="Per-segment counts of members with weight >= minWeight and "
        "their average weight (strength); cached per minWeight until "
        "expiry or forceRefresh."
    )
    async def segment_counts(
        self,
        info: Info,
        min_weight: Annotated[
            float,
            strawberry.argument(
                description="Count members whose weight is at least this (0 to 1)."
            ),
        ] = 0.5,
        force_refresh: Annotated[
            bool, strawberry.argument(description="Recount now instead of using the cached counts.")
        ] = False,
        page: Annotated[int, strawberry.argument(description="Page number, from 1.")] = 1,
        size: Annotated[int, strawberry.argument(description="Segments per page, 1 to 100.")] = 50,
    ) -> SegmentCountPage:
        result = await info.context.counts.segment_counts(
            min_weight=min_weight, force_refresh=force_refresh, page=page, size=size
        )
        return SegmentCountPage(
            items=[
                SegmentCount(
                    segment=Segment.from_domain(segment),
                    user_count=count.user_count,
                    strength=count.strength,
                    min_weight=result.min_weight,
                )
                for segment, count in result.items
            ],
            total=result.total,
            page=result.page,
            size=result.size,
            computed_at=result.computed_at,
        )

    @strawberry.field(
        description="Counts and samples of the users the rules (or FQL) would "
        "select; for an existing segment, who would enter and leave."
    )
    async def preview_segment(
        self,
        info: Info,
        rules: Annotated[
            RulesInput | None, strawberry.argument(description="The rules to try.")
        ] = None,
        fql: Annotated[
            JSON | None, strawberry.argument(description="The rules to try, as FQL.")
        ] = None,
        segment_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="An existing segment: compare with its members (and, "
                "without rules or fql, preview its own rules).",
            ),
        ] = None,
    ) -> SegmentPreview:
        preview = await info.context.counts.preview(
            rules_input=rules.to_domain() if rules is not None else None,
            fql=fql,
            segment_id=parse_id(segment_id, path="segmentId") if segment_id is not None else None,
        )
        return SegmentPreview(
            user_count=preview.user_count,
            entering=preview.entering,
            leaving=preview.leaving,
            sample=[User.from_domain(u) for u in preview.matching_sample],
            entering_sample=[User.from_domain(u) for u in preview.entering_sample],
            leaving_sample=[User.from_domain(u) for u in preview.leaving_sample],
        )
