"""Access inputs: a new API key."""

from __future__ import annotations

from datetime import datetime

import strawberry

from seg_graphql.graphql.scalars import Role


@strawberry.input(description="A new API key of your tenant.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="A label to recognise the key by.")
    role: Role = strawberry.field(description="What the key may do.")
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Acting user id (for editableBy ASSIGNED)."
    )
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The acting user's teams (at most 100)."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the key stops working; null = never."
    )
