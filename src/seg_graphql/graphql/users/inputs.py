"""User inputs: a profile upsert (converted with arguments.to_data)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from seg_graphql.graphql.arguments import optional_field
from seg_graphql.graphql.scalars import JSON


@strawberry.input(
    description="A profile upsert: given fields are set, null clears, others are kept."
)
class UserInput:
    user_id: str = strawberry.field(description="The user's id (created when new).")
    email: str | None = optional_field("Unique per tenant.")
    email_hash: str | None = optional_field("Import identifier; unique per tenant.")
    user_agent_id: str | None = optional_field("Import identifier; unique per tenant.")
    user_account_id: str | None = optional_field("Import identifier, with compartmentId.")
    compartment_id: str | None = optional_field("The compartment of userAccountId.")
    tier: str | None = optional_field("Loyalty tier, e.g. gold.")
    points: float | None = optional_field("Loyalty points.")
    xp: float | None = optional_field("Experience points.")
    coins: float | None = optional_field("Coin balance.")
    badges: list[str] | None = optional_field("Badges earned (replaces the list).")
    custom_fields: JSON | None = optional_field("A JSON object of other fields (replaces it).")
    created_at: datetime | None = optional_field("Account creation; defaults to the first upsert.")
