"""Membership inputs: status changes and list entries (converted with arguments.to_data)."""

from __future__ import annotations

import strawberry

from seg_graphql.graphql.arguments import optional_field
from seg_graphql.graphql.scalars import JSON, UnixTimestamp, UserStatus


@strawberry.input(description="Village's status change metadata, kept with the change.")
class StatusMetadataInput:
    reference_id: str | None = optional_field("Your id for the change (e.g. an event id).")
    status_change_timestamp: UnixTimestamp | None = optional_field(
        "Unix seconds of the change; default: when received. A change older than "
        "the one applied for this user and segment is ignored (applied: false)."
    )
    description: str | None = optional_field("Free text about the change.")


@strawberry.input(description="Village's setUserStatus: user is a userId or an email.")
class SetUserStatusInput:
    user: str = strawberry.field(description="A userId, or an email.")
    segment_id: strawberry.ID = strawberry.field(description="The segment's id.")
    user_status: UserStatus = strawberry.field(description="ADD, BLOCK or RESET.")
    metadata: StatusMetadataInput | None = optional_field("Reference, time and description.")


@strawberry.input(description="A user put on a segment's list.")
class SegmentUserInput:
    user: str = strawberry.field(description="A userId or an email.")
    expiration_duration: int | None = optional_field("Minutes until the entry expires; 0 = never.")
    expiration_ts: UnixTimestamp | None = optional_field(
        "Unix seconds when it expires; 0 = never; wins over expirationDuration."
    )
    weight: float | None = optional_field("0..1, default 1.")
    data_bag: JSON | None = optional_field("Any JSON kept with the entry (at most 16 KB).")
