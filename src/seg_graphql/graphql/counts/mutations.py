"""Count mutations: refreshEstimates recounts estimatedSize now."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.domain.errors import ErrorCode, UserInputError
from seg_graphql.graphql.arguments import parse_id
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.errors import USER_ERRORS, UserError, user_errors_in
from seg_graphql.graphql.segments.types import Segment

MAX_REFRESH = 100


@strawberry.type(description="The result of refreshEstimates.")
class RefreshEstimatesPayload:
    segments: list[Segment] = strawberry.field(
        default_factory=list, description="The segments with their new estimatedSize."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class CountMutation:
    @strawberry.mutation(description="Recomputes estimatedSize now (ADMIN only).")
    @user_errors_in(RefreshEstimatesPayload)
    async def refresh_estimates(
        self,
        info: Info,
        segment_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description=f"The segments to recount (at most {MAX_REFRESH})."),
        ],
    ) -> RefreshEstimatesPayload | None:
        if len(segment_ids) > MAX_REFRESH:
            raise UserInputError.single(
                ErrorCode.LIMIT_EXCEEDED,
                f"refresh at most {MAX_REFRESH} segments at once (limit)",
                ("segmentIds",),
            )
        ids = [parse_id(i, path="segmentIds") for i in segment_ids]
        segments = await info.context.counts.refresh_estimates(ids)
        return RefreshEstimatesPayload(segments=[Segment.from_domain(s) for s in segments])
