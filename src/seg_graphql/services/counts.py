"""Counts: a segment's userCount, periodic estimates, weighted counts with a cache
(recommendation seed), and the dry-run preview of rules.

A member's weight is its list entry's weight while it is on the segment's list, else 1
(added by an override or matched by rules). Weighted counts are computed in the database as
two parts per segment (see store/members.py). Strength is the summed weight over the count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from seg_graphql.domain.errors import ErrorCode, Problem, UserInputError, bad_input
from seg_graphql.domain.fql import parse_fql
from seg_graphql.domain.models import EditableBy, Role, Rules, RulesDraft, Segment, SegmentType
from seg_graphql.domain.rules import validate_rules
from seg_graphql.domain.segment_references import with_references
from seg_graphql.domain.user import User
from seg_graphql.services.auth import require_role
from seg_graphql.services.scope import Scope

SAMPLE_SIZE = 10


@dataclass(frozen=True)
class SegmentCount:
    segment_id: int
    user_count: int
    strength: float


@dataclass(frozen=True)
class CountsPage:
    items: list[tuple[Segment, SegmentCount]]
    total: int
    page: int
    size: int
    min_weight: float
    computed_at: datetime


@dataclass(frozen=True)
class Preview:
    user_count: int
    entering: int | None
    leaving: int | None
    matching_sample: list[User]
    entering_sample: list[User]
    leaving_sample: list[User]


class CountService:
    def __init__(self, scope: Scope, cache_seconds: float = 300.0) -> None:
        self.principal = scope.principal
        self._scope = scope
        self._members = scope.members
        self._segments = scope.segments
        self._cache = scope.count_cache
        self._now = scope.now
        self._cache_ttl = timedelta(seconds=cache_seconds)

    async def _with_references(self, segments: Mapping[int, Segment]) -> dict[int, Segment]:
        return await with_references(segments, self._segments.get_many)

    # ------------------------------------------------------------ userCount

    async def member_counts(self, segments: Mapping[int, Segment], ids: Sequence[int]) -> list[int]:
        """Exact, live member counts (a segment's userCount), computed by the database in
        one command where it has $facet; `segments` holds the segments of `ids`."""
        everything = await self._with_references(segments)
        return await self._members.counts(ids, everything, self._now())

    # ------------------------------------------------------------ estimates

    async def refresh_estimates(self, segment_ids: Sequence[int]) -> list[Segment]:
        require_role(self.principal, Role.ADMIN)
        segments = await self._segments.get_many(segment_ids)
        missing = sorted(set(segment_ids) - segments.keys())
        if missing:
            raise UserInputError.single(
                ErrorCode.NOT_FOUND, f"segments {missing} not found", ("segmentIds",)
            )
        return await self.estimate(segments)

    async def estimate(self, segments: Mapping[int, Segment]) -> list[Segment]:
        """Recounts the estimates: a dynamic segment's members, a static segment's list (its
        live size, recounted here only when asked: refreshEstimates)."""
        everything = await self._with_references(segments)
        sizes = await self._members.sizes(segments, everything, self._now())
        saved = await self._segments.set_estimates(
            sizes,
            self._now(),
            max_batch=self._scope.store.capabilities.max_update_batch,
        )
        return [saved[i] for i in sorted(segments) if i in saved]

    # ------------------------------------------------------------ weighted counts

    async def segment_counts(
        self, *, min_weight: float, force_refresh: bool, page: int, size: int
    ) -> CountsPage:
        _check_page_arguments(min_weight, page, size)
        now = self._now()
        cached = None if force_refresh else await self._cache.get(min_weight, now)
        if cached is None:
            segments = {s.id: s for s in await self._segments.all()}
            counts = await self._weighted_counts(segments, min_weight)
            cached = await self._cache.put(min_weight, counts, now, now + self._cache_ttl)
        computed_at, rows = cached
        segments = await self._segments.get_many(row["segmentId"] for row in rows)
        rows = [row for row in rows if row["segmentId"] in segments]  # deleted since
        window = rows[(page - 1) * size : page * size]
        items = [
            (
                segments[row["segmentId"]],
                SegmentCount(row["segmentId"], row["userCount"], row["strength"]),
            )
            for row in window
        ]
        return CountsPage(
            items=items,
            total=len(rows),
            page=page,
            size=size,
            min_weight=min_weight,
            computed_at=computed_at,
        )

    async def _weighted_counts(
        self, segments: Mapping[int, Segment], min_weight: float
    ) -> list[dict[str, Any]]:
        everything = await self._with_references(segments)
        now = self._now()
        ids = sorted(segments)
        found = await self._members.weighted_counts(ids, everything, now, min_weight)
        return [
            {
                "segmentId": segment_id,
                "userCount": count,
                "strength": round(total_weight / count, 6) if count else 0.0,
            }
            for segment_id, (count, total_weight) in zip(ids, found, strict=True)
        ]

    # ------------------------------------------------------------ preview

    async def preview(
        self, *, rules_input: RulesDraft | None, fql: Any, segment_id: int | None
    ) -> Preview:
        if rules_input is not None and fql is not None:
            raise bad_input("give rules or fql, not both", ("fql",))
        if fql is not None:
            rules = parse_fql(fql, ("fql",))
        elif rules_input is not None:
            rules = validate_rules(rules_input, ("rules",))
        else:
            rules = Rules()
        current = None
        if segment_id is not None:
            current = await self._segments.get(segment_id)
            if current is None:
                raise UserInputError.single(
                    ErrorCode.NOT_FOUND, f"segment {segment_id} not found", ("segmentId",)
                )
            if current.type is SegmentType.STATIC and not rules.is_empty:
                raise bad_input("a STATIC segment holds a list of users, not rules", ("rules",))
        candidate = _candidate(current, rules, self.principal.tenant, self._now())
        known = {candidate.id: candidate}
        refs = rules.referenced_segments()
        if candidate.id in refs:
            raise UserInputError.single(
                ErrorCode.CYCLE, "the rules reference the segment itself", ("rules",)
            )
        found = await self._segments.get_many(refs)
        if refs - found.keys():
            raise UserInputError.single(
                ErrorCode.NOT_FOUND,
                f"segment criteria name unknown segments {sorted(refs - found.keys())}",
                ("rules",),
            )
        everything = await self._with_references({**found, **known})
        if any(candidate.id in s.rules.referenced_segments() for s in found.values()):
            raise UserInputError.single(
                ErrorCode.CYCLE, "segment criteria would form a cycle", ("rules",)
            )
        found = await self._members.preview(
            candidate, current, everything, self._now(), SAMPLE_SIZE
        )
        return Preview(*found)


def _candidate(current: Segment | None, rules: Rules, tenant: str, now: datetime) -> Segment:
    if current is not None:
        return Segment(**{**current.__dict__, "rules": rules})
    # an id no real segment has, so no user has explicit state in it
    return Segment(
        tenant=tenant,
        id=0,
        technical_name="preview",
        name="preview",
        type=SegmentType.DYNAMIC,
        rules=rules,
        editable_by=EditableBy.ADMIN,
        created_at=now,
        updated_at=now,
    )


def _check_page_arguments(min_weight: float, page: int, size: int) -> None:
    problems = []
    if not 0.0 <= min_weight <= 1.0:
        problems.append(
            Problem(ErrorCode.BAD_USER_INPUT, "minWeight must be between 0 and 1", ("minWeight",))
        )
    if page < 1:
        problems.append(Problem(ErrorCode.BAD_USER_INPUT, "page must be at least 1", ("page",)))
    if not 1 <= size <= 100:
        problems.append(
            Problem(ErrorCode.BAD_USER_INPUT, "size must be between 1 and 100", ("size",))
        )
    if problems:
        raise UserInputError(problems)
