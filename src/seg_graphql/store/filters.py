"""MongoDB filters built from domain values: segment rules compiled into one filter on user
profiles, and the members of a segment at a moment (precedence in domain/membership.py).

The compiler shares the in-memory evaluator's semantics (domain/rules.py), MongoDB's: a
criterion on an array field matches when any element matches, NOT_EQUALS / NOT_IN /
NOT_CONTAINS match a missing field. Values were checked by validation, so user JSON never
reaches MongoDB unchecked: every operator comes from a fixed table and every string goes
into `$regex` escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from seg_graphql.domain.membership import UserStatus
from seg_graphql.domain.models import Criterion, Rules, Segment, SegmentType
from seg_graphql.domain.models import Operator as _O
from seg_graphql.domain.rules import Kind, criterion_value, field_kind
from seg_graphql.domain.times import naive_utc
from seg_graphql.store.users import entry_path

# ---------------------------------------------------------------- compilation

SegmentFilter = Callable[[int], dict[str, Any]]
"""Returns the MongoDB filter that selects the members of a segment (for `segment` criteria)."""


def compile_rules(rules: Rules, segment_filter: SegmentFilter | None = None) -> dict[str, Any]:
    """One MongoDB filter on user profiles that matches exactly the users the rules admit."""
    clauses = [compile_criterion(c, segment_filter) for c in rules.include]
    if rules.exclude:
        clauses.append({"$nor": [compile_criterion(c, segment_filter) for c in rules.exclude]})
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def compile_criterion(c: Criterion, segment_filter: SegmentFilter | None = None) -> dict[str, Any]:
    if c.field == "segment":
        return _compile_segment(c, segment_filter)
    kind = field_kind(c.field)
    value = _stored(criterion_value(kind, c.value))
    match c.operator:
        case _O.EQUALS:
            return {c.field: value}
        case _O.NOT_EQUALS:
            return {c.field: {"$ne": value}}
        case _O.IN:
            return {c.field: {"$in": value}}
        case _O.NOT_IN:
            return {c.field: {"$nin": value}}
        case _O.GT | _O.GTE | _O.LT | _O.LTE:
            return {c.field: {"$" + c.operator.value.lower(): value}}
        case _O.EXISTS:
            return {c.field: {"$exists": True}}
        case _O.NOT_EXISTS:
            return {c.field: {"$exists": False}}
        case _O.CONTAINS:
            return {c.field: _contains(kind, value)}
        case _O.NOT_CONTAINS:
            return {"$nor": [{c.field: _contains(kind, value)}]}
    raise AssertionError(c.operator)


def _stored(value: Any) -> Any:
    """Dates as MongoDB keeps them (naive UTC)."""
    if isinstance(value, list):
        return [naive_utc(v) if isinstance(v, datetime) else v for v in value]
    return naive_utc(value) if isinstance(value, datetime) else value


def _contains(kind: Kind | None, value: str) -> Any:
    if kind is Kind.ARRAY:
        return value  # element match: {"badges": "vip"} matches arrays holding "vip"
    return {"$regex": re.escape(value), "$options": "i"}


def _compile_segment(c: Criterion, segment_filter: SegmentFilter | None) -> dict[str, Any]:
    if segment_filter is None:
        raise ValueError("segment criteria need a segment filter")
    ids = c.value if isinstance(c.value, list) else [c.value]
    filters = [segment_filter(int(i)) for i in ids]
    if c.operator in (_O.EQUALS, _O.IN):
        return filters[0] if len(filters) == 1 else {"$or": filters}
    return {"$nor": filters}


# ---------------------------------------------------------------- the members of a segment


def member_filter(
    segment: Segment, segments: Mapping[int, Segment], now: datetime
) -> dict[str, Any]:
    """ONE filter on users that matches exactly the members of `segment` at `now`.

    `segments` must hold every segment that `segment` references through segment
    criteria, transitively (cycles are rejected when rules are saved).
    """
    path = entry_path(segment.id)
    not_blocked = {f"{path}.override": {"$ne": UserStatus.BLOCK.value}}
    reasons: list[dict[str, Any]] = [
        {f"{path}.override": UserStatus.ADD.value},
        listed_live_filter(segment.id, now),
    ]
    if segment.type is SegmentType.DYNAMIC:
        rules = compile_rules(
            segment.rules, lambda ref: member_filter(segments[ref], segments, now)
        )
        if not rules:
            return not_blocked  # no criteria: every user not blocked
        reasons.append(rules)
    return {"$and": [not_blocked, {"$or": reasons}]}


def listed_live_filter(segment_id: int, now: datetime) -> dict[str, Any]:
    """On the segment's list, and the entry not expired at `now`."""
    path = entry_path(segment_id)
    return {
        "$and": [
            {f"{path}.listed": True},
            {"$or": [{f"{path}.expiresAt": None}, {f"{path}.expiresAt": {"$gt": naive_utc(now)}}]},
        ]
    }
