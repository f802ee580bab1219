"""Who is in a segment, and why: precedence, versions of status changes, expiry.

A user has one entry per segment it has explicit state in: an override (ADD / BLOCK, set
by setUserStatus, permanent until RESET) and a list membership (listed, with expiresAt,
weight and dataBag, from list adds and imports). Membership is then, with precedence
BLOCK > ADD > list > rules:

    member = not BLOCK and (ADD or live list membership or (DYNAMIC and rules match))

store/filters.member_filter states this as ONE MongoDB filter on the users collection (segment
criteria recurse into the referenced segment's filter); `is_member` evaluates the same
thing on one user (domain/user.User) in memory. Tests hold the two to each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from seg_graphql.domain.models import Segment, SegmentType
from seg_graphql.domain.rules import evaluate_rules

if TYPE_CHECKING:
    from seg_graphql.domain.user import User


class UserStatus(StrEnum):
    ADD = "ADD"
    BLOCK = "BLOCK"
    RESET = "RESET"


class MembershipState(StrEnum):
    BLOCKED = "BLOCKED"  # a BLOCK override keeps the user out
    ADDED = "ADDED"  # an ADD override keeps the user in
    LISTED = "LISTED"  # on the segment's list
    MATCHED = "MATCHED"  # the dynamic rules match
    NONE = "NONE"  # not a member


# Within one second, a later-ranked status wins, so replaying the same changes in any order
# converges: BLOCK beats ADD beats RESET.
_RANK = {UserStatus.RESET: 0, UserStatus.ADD: 1, UserStatus.BLOCK: 2}


def status_version(
    status: UserStatus, timestamp: int, reference_id: str | None, description: str | None
) -> str:
    """A total order of status changes: timestamp, then status rank, then the metadata.

    A change is applied only when its version is greater than the stored one, so the
    latest change wins whatever order changes arrive in, and a replay is a no-op.
    """
    digest = hashlib.sha256(f"{reference_id or ''}\x00{description or ''}".encode()).hexdigest()
    return f"{timestamp:012d}.{_RANK[status]}.{digest[:16]}"


@dataclass(frozen=True)
class Snapshot:
    """A user's explicit state in a segment, as a history event records it."""

    override: UserStatus | None = None
    listed: bool = False  # on the list and not expired


@dataclass(frozen=True)
class Entry:
    """A user's explicit state in one segment (store/users.py keeps it with the user)."""

    override: UserStatus | None = None
    listed: bool = False
    expires_at: datetime | None = None
    weight: float = 1.0
    data_bag: Any = None
    version: str | None = None
    reference_id: str | None = None
    description: str | None = None
    status_at: datetime | None = None
    updated_at: datetime | None = None

    def listed_live(self, now: datetime) -> bool:
        return self.listed and (self.expires_at is None or self.expires_at > now)

    def snapshot(self, now: datetime) -> Snapshot:
        """The state a history event records."""
        return Snapshot(self.override, self.listed_live(now))


# ---------------------------------------------------------------- the same, in memory


def state_of(
    segment: Segment, user: User, segments: Mapping[int, Segment], now: datetime
) -> MembershipState:
    entry = user.entries.get(segment.id)
    if entry and entry.override is UserStatus.BLOCK:
        return MembershipState.BLOCKED
    if entry and entry.override is UserStatus.ADD:
        return MembershipState.ADDED
    if entry and entry.listed_live(now):
        return MembershipState.LISTED
    if segment.type is SegmentType.DYNAMIC and evaluate_rules(
        segment.rules, user, lambda ref: is_member(segments[ref], user, segments, now)
    ):
        return MembershipState.MATCHED
    return MembershipState.NONE


def is_member(segment: Segment, user: User, segments: Mapping[int, Segment], now: datetime) -> bool:
    return state_of(segment, user, segments, now) in (
        MembershipState.ADDED,
        MembershipState.LISTED,
        MembershipState.MATCHED,
    )
