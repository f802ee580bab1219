"""Counts: segmentCounts (recommendation seed), previewSegment (dry run), refreshEstimates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from seg_graphql.domain.errors import ErrorCode, UserInputError
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.errors import payload_or_errors
from seg_graphql.graphql.inputs import RulesInput
from seg_graphql.graphql.membership_types import User
from seg_graphql.graphql.queries import parse_id
from seg_graphql.graphql.scalars import JSON
from seg_graphql.graphql.types import USER_ERRORS, Segment, UserError

MAX_REFRESH = 100


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


@strawberry.type(description="The result of refreshEstimates.")
class RefreshEstimatesPayload:
    segments: list[Segment] = strawberry.field(
        default_factory=list, description="The segments with their new estimatedSize."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


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
            sample=[User.from_document(d) for d in preview.matching_sample],
            entering_sample=[User.from_document(d) for d in preview.entering_sample],
            leaving_sample=[User.from_document(d) for d in preview.leaving_sample],
        )


@strawberry.type
class CountMutation:
    @strawberry.mutation(description="Recomputes estimatedSize now (ADMIN only).")
    async def refresh_estimates(
        self,
        info: Info,
        segment_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description=f"The segments to recount (at most {MAX_REFRESH})."),
        ],
    ) -> RefreshEstimatesPayload | None:
        async def run() -> RefreshEstimatesPayload:
            if len(segment_ids) > MAX_REFRESH:
                raise UserInputError.single(
                    ErrorCode.LIMIT_EXCEEDED,
                    f"refresh at most {MAX_REFRESH} segments at once (limit)",
                    ("segmentIds",),
                )
            ids = [parse_id(i, path="segmentIds") for i in segment_ids]
            segments = await info.context.counts.refresh_estimates(ids)
            return RefreshEstimatesPayload(segments=[Segment.from_domain(s) for s in segments])

        return await payload_or_errors(run, lambda e: RefreshEstimatesPayload(user_errors=e))
