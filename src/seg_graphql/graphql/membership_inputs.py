"""GraphQL inputs for users and memberships (converted with inputs.to_data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from seg_graphql.graphql.scalars import JSON, UnixTimestamp, UserStatus


def _field(description: str) -> Any:
    """An optional input field: omitted = unchanged (UNSET), null = cleared."""
    return strawberry.field(default=strawberry.UNSET, description=description)


@strawberry.input(
    description="A profile upsert: given fields are set, null clears, others are kept."
)
class UserInput:
    user_id: str = strawberry.field(description="The user's id (created when new).")
    email: str | None = _field("Unique per tenant.")
    email_hash: str | None = _field("Import identifier; unique per tenant.")
    user_agent_id: str | None = _field("Import identifier; unique per tenant.")
    user_account_id: str | None = _field("Import identifier, with compartmentId.")
    compartment_id: str | None = _field("The compartment of userAccountId.")
    tier: str | None = _field("Loyalty tier, e.g. gold.")
    points: float | None = _field("Loyalty points.")
    xp: float | None = _field("Experience points.")
    coins: float | None = _field("Coin balance.")
    badges: list[str] | None = _field("Badges earned (replaces the list).")
    custom_fields: JSON | None = _field("A JSON object of other fields (replaces it).")
    created_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Account creation; defaults to the first upsert."
    )


@strawberry.input(description="Village's status change metadata, kept with the change.")
class StatusMetadataInput:
    reference_id: str | None = _field("Your id for the change (e.g. an event id).")
    status_change_timestamp: UnixTimestamp | None = strawberry.field(
        default=strawberry.UNSET,
        description="Unix seconds of the change; default: when received. A change older than "
        "the one applied for this user and segment is ignored (applied: false).",
    )
    description: str | None = _field("Free text about the change.")


@strawberry.input(description="Village's setUserStatus: user is a userId or an email.")
class SetUserStatusInput:
    user: str = strawberry.field(description="A userId, or an email.")
    segment_id: strawberry.ID = strawberry.field(description="The segment's id.")
    user_status: UserStatus = strawberry.field(description="ADD, BLOCK or RESET.")
    metadata: StatusMetadataInput | None = _field("Reference, time and description.")


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
    data_bag: JSON | None = _field("Any JSON kept with the entry (at most 16 KB).")
