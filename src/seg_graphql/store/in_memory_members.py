"""Members and counts evaluated in memory, for the embedded store.

mongomock tests every user document against every segment's filter in Python, and slowly
(each document is copied for time-zone handling first): 20 segments' counts over 10,000
users took 8.7 s. The domain's evaluator (`state_of`, held to `member_filter` by the tests
on both stores) answers the same question on the users read once per request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from seg_graphql.domain.membership import is_member
from seg_graphql.domain.models import Segment
from seg_graphql.domain.user import User


def count_members(
    users: Sequence[User],
    wanted: Sequence[Segment],
    everything: Mapping[int, Segment],
    now: datetime,
) -> list[int]:
    return [sum(1 for user in users if is_member(s, user, everything, now)) for s in wanted]


def page_members(
    users: Sequence[User],
    segment: Segment,
    everything: Mapping[int, Segment],
    now: datetime,
    *,
    after: str | None,
    limit: int,
) -> list[User]:
    """The first `limit` members by userId after `after`, as the database's page gives."""
    members = [
        user
        for user in users
        if (after is None or user.user_id > after) and is_member(segment, user, everything, now)
    ]
    members.sort(key=lambda user: user.user_id)
    return members[:limit]
