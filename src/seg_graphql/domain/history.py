"""History events of membership changes.

Shared by the membership API and imports so that both record the same event shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from seg_graphql.domain.membership import Snapshot
from seg_graphql.domain.models import Principal


@dataclass(frozen=True)
class HistoryOf:
    """Whose history: one segment's or one user's."""

    segment_id: int | None = None
    user_id: str | None = None


class EventAction(StrEnum):
    OVERRIDE_SET = "OVERRIDE_SET"
    OVERRIDE_RESET = "OVERRIDE_RESET"
    LISTED = "LISTED"
    UNLISTED = "UNLISTED"
    EXPIRED = "EXPIRED"


class EventSource(StrEnum):
    API = "API"
    IMPORT = "IMPORT"
    EXPIRY = "EXPIRY"


@dataclass(frozen=True)
class MembershipEvent:
    """One recorded change of a user's membership of a segment (store/events.py keeps it)."""

    segment_id: int
    user_id: str
    at: datetime
    action: EventAction
    before: Snapshot
    after: Snapshot
    source: EventSource
    actor_key_id: str | None = None
    actor_user_id: str | None = None
    reference_id: str | None = None
    description: str | None = None
    status_at: datetime | None = None
    id: Any = None  # given by the store; a replayed import line's chosen id, recorded once


def event_of(
    actor: Principal | None,
    segment_id: int,
    user_id: str,
    now: datetime,
    action: EventAction,
    before: Snapshot,
    after: Snapshot,
    source: EventSource,
    **details: Any,
) -> MembershipEvent:
    return MembershipEvent(
        segment_id,
        user_id,
        now,
        action,
        before,
        after,
        source,
        actor_key_id=actor.key_id if actor else None,
        actor_user_id=actor.user_id if actor else None,
        **details,
    )
