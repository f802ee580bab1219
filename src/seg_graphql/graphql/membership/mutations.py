"""Membership mutations: status changes and list entries; per-item userErrors carry the
item's index."""

from __future__ import annotations

from typing import Annotated

import strawberry

from seg_graphql.graphql.arguments import SEGMENT_ID, parse_id, to_data
from seg_graphql.graphql.context import Info
from seg_graphql.graphql.errors import IN_ORDER, USER_ERRORS, UserError, user_errors_in
from seg_graphql.graphql.membership.inputs import SegmentUserInput, SetUserStatusInput
from seg_graphql.graphql.membership.types import Membership
from seg_graphql.graphql.segments.types import Segment
from seg_graphql.graphql.users.types import User
from seg_graphql.services.membership import BatchResult

APPLIED = "False when a newer (or the same) change was already applied: nothing changed."


@strawberry.type(description="One applied (or ignored) status change of setUserStatuses.")
class SetUserStatusResult:
    applied: bool = strawberry.field(description=APPLIED)
    membership: Membership = strawberry.field(
        description="The user's membership of the segment after the change."
    )
    user: User = strawberry.field(description="The user the change is about.")


@strawberry.type(description="The result of setUserStatus.")
class SetUserStatusPayload:
    applied: bool = strawberry.field(default=False, description=APPLIED)
    membership: Membership | None = strawberry.field(
        default=None, description="The membership after the change; null on userErrors."
    )
    user: User | None = strawberry.field(
        default=None, description="The user the change is about; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type(description="The result of setUserStatuses.")
class SetUserStatusesPayload:
    results: list[SetUserStatusResult | None] = strawberry.field(
        default_factory=list, description=IN_ORDER
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type(description="The result of addSegmentUsers or removeSegmentUsers.")
class SegmentUsersPayload:
    segment: Segment | None = strawberry.field(
        default=None, description="The segment; null when it was not found or not editable."
    )
    memberships: list[Membership | None] = strawberry.field(
        default_factory=list, description=IN_ORDER
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


async def _results(info: Info, batch: BatchResult) -> list[SetUserStatusResult | None]:
    # segment criteria may reference other segments: evaluate with the whole tenant's set
    segments = await info.context.all_segments() if batch.results else {}
    service = info.context.membership
    out: list[SetUserStatusResult | None] = []
    for result in batch.results:
        if result is None:
            out.append(None)
            continue
        (membership,) = service.memberships_of(
            result.user, segments or {result.segment.id: result.segment}, only=[result.segment.id]
        )
        out.append(
            SetUserStatusResult(
                applied=result.applied,
                membership=Membership.from_domain(membership, service.now()),
                user=User.from_domain(result.user),
            )
        )
    return out


def _errors(batch: BatchResult) -> list[UserError]:
    return [UserError.from_problem(p) for p in batch.problems]


@strawberry.type
class MembershipMutation:
    @strawberry.mutation(description="ADD, BLOCK or RESET one user's membership (Village).")
    @user_errors_in(SetUserStatusPayload)
    async def set_user_status(
        self,
        info: Info,
        input: Annotated[SetUserStatusInput, strawberry.argument(description="The change.")],
    ) -> SetUserStatusPayload | None:
        batch = await info.context.membership.set_statuses([to_data(input)], "input")
        if batch.problems:
            return SetUserStatusPayload(user_errors=_errors(batch))
        (result,) = await _results(info, batch)
        return SetUserStatusPayload(
            applied=result.applied, membership=result.membership, user=result.user
        )

    @strawberry.mutation(description="Many status changes (at most 500), applied independently.")
    @user_errors_in(SetUserStatusesPayload)
    async def set_user_statuses(
        self,
        info: Info,
        inputs: Annotated[
            list[SetUserStatusInput], strawberry.argument(description="The changes (at most 500).")
        ],
    ) -> SetUserStatusesPayload | None:
        batch = await info.context.membership.set_statuses([to_data(i) for i in inputs], "inputs")
        return SetUserStatusesPayload(
            results=await _results(info, batch), user_errors=_errors(batch)
        )

    @strawberry.mutation(description="Puts users on a segment's list (at most 500 per call).")
    @user_errors_in(SegmentUsersPayload)
    async def add_segment_users(
        self,
        info: Info,
        segment_id: Annotated[strawberry.ID, strawberry.argument(description=SEGMENT_ID)],
        users: Annotated[
            list[SegmentUserInput], strawberry.argument(description="The entries (at most 500).")
        ],
    ) -> SegmentUsersPayload | None:
        batch = await info.context.membership.add_to_list(
            parse_id(segment_id, path="segmentId"), [to_data(u) for u in users]
        )
        return await _list_payload(info, batch)

    @strawberry.mutation(description="Takes users off a segment's list (overrides stay).")
    @user_errors_in(SegmentUsersPayload)
    async def remove_segment_users(
        self,
        info: Info,
        segment_id: Annotated[strawberry.ID, strawberry.argument(description=SEGMENT_ID)],
        users: Annotated[
            list[str], strawberry.argument(description="userIds or emails (at most 500).")
        ],
    ) -> SegmentUsersPayload | None:
        batch = await info.context.membership.remove_from_list(
            parse_id(segment_id, path="segmentId"), users
        )
        return await _list_payload(info, batch)


async def _list_payload(info: Info, batch: BatchResult) -> SegmentUsersPayload:
    results = await _results(info, batch)
    segment = batch.segment
    return SegmentUsersPayload(
        segment=Segment.from_domain(segment) if segment else None,
        memberships=[r.membership if r else None for r in results],
        user_errors=_errors(batch),
    )
