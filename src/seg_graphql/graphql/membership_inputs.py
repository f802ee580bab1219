"""GraphQL inputs for users and memberships (converted with inputs.to_data)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from seg_graphql.graphql.scalars import JSON, UnixTimestamp, UserStatus


@strawberry.input(
    description="A profile upsert: given fields are set, null clears, others are kept."
)
class UserInput:
    user_id: str
    email: str | None = strawberry.UNSET
    email_hash: str | None = strawberry.UNSET
    user_agent_id: str | None = strawberry.UNSET
    user_account_id: str | None = strawberry.UNSET
    compartment_id: str | None = strawberry.UNSET
    tier: str | None = strawberry.UNSET
    points: float | None = strawberry.UNSET
    xp: float | None = strawberry.UNSET
    coins: float | None = strawberry.UNSET
    badges: list[str] | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET
    created_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Account creation; defaults to the first upsert."
    )


@strawberry.input
class StatusMetadataInput:
    reference_id: str | None = strawberry.UNSET
    status_change_timestamp: UnixTimestamp | None = strawberry.field(
        default=strawberry.UNSET,
        description="Unix seconds of the change; default: when received. A change older than "
        "the one applied for this user and segment is ignored (applied: false).",
    )
    description: str | None = strawberry.UNSET


@strawberry.input(description="Village's setUserStatus: user is a userId or an email.")
class SetUserStatusInput:
    user: str
    segment_id: strawberry.ID
    user_status: UserStatus
    metadata: StatusMetadataInput | None = strawberry.UNSET


@strawberry.input(description="A user put on a segment's list.")
class SegmentUserInput:
    user: str = strawberry.field(description="A userId or an email.")
    expiration_duration: int | None = strawberry.field(
        default=strawberry.UNSET, description="Minutes until the entry expires; 0 = never."
    )
    expiration_ts: UnixTimestamp | None = strawberry.field(
        default=strawberry.UNSET,
        description="Unix seconds when it expires; 0 = never; wins over expirationDuration.",
    )
    weight: float | None = strawberry.field(
        default=strawberry.UNSET, description="0..1, default 1."
    )
    data_bag: JSON | None = strawberry.UNSET
