"""Counts: periodic estimates, weighted counts with a cache (recommendation seed), and the
dry-run preview of rules.

A member's weight is its list entry's weight while it is on the segment's list, else 1
(added by an override or matched by rules). Weighted counts are computed in the database as
two parts per segment, neither needing $cond or $avg (FerretDB v1 has neither): members not
on the list (weight 1) are counted; listed members at or above the threshold are counted and,
separately, their weights summed. Strength is the sum over the count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from seg_graphql.domain.errors import ErrorCode, Problem, UserInputError, bad_input
from seg_graphql.domain.fql import parse_fql
from seg_graphql.domain.membership import entry_path, listed_live_filter, member_filter
from seg_graphql.domain.models import EditableBy, Principal, Role, Rules, Segment, SegmentType
from seg_graphql.domain.rules import validate_rules
from seg_graphql.services.auth import require_role
from seg_graphql.services.clock import Clock, utc_now
from seg_graphql.services.membership import MembershipService
from seg_graphql.store.client import Store
from seg_graphql.store.count_cache import CountCache
from seg_graphql.store.segments import SegmentStore

FACET_CHUNK = 50  # segments per $facet command (three branches each)
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
    matching_sample: list[dict[str, Any]]
    entering_sample: list[dict[str, Any]]
    leaving_sample: list[dict[str, Any]]


class CountService:
    def __init__(
        self,
        store: Store,
        principal: Principal,
        clock: Clock = utc_now,
        cache_seconds: float = 300.0,
    ) -> None:
        self.principal = principal
        self._store = store
        self._membership = MembershipService(store, principal, clock)
        self._segments = SegmentStore(store.db, principal.tenant)
        self._cache = CountCache(store.db, principal.tenant)
        self._now = clock
        self._cache_ttl = timedelta(seconds=cache_seconds)

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
        ids = sorted(segments)
        dynamic = [i for i in ids if segments[i].type is not SegmentType.STATIC]
        sizes: dict[int, int] = {}
        for start in range(0, len(dynamic), FACET_CHUNK):  # bounded $facet commands
            chunk = dynamic[start : start + FACET_CHUNK]
            counts = await self._membership.member_counts(segments, chunk)
            sizes.update(zip(chunk, counts, strict=True))
        static = [i for i in ids if i not in sizes]
        for start in range(0, len(static), FACET_CHUNK):
            chunk = static[start : start + FACET_CHUNK]
            sizes.update(zip(chunk, await self._membership.list_sizes(chunk), strict=True))
        saved = await self._segments.set_estimates(
            sizes,
            self._now(),
            max_batch=self._store.capabilities.max_update_batch,
        )
        return [saved[i] for i in ids if i in saved]

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
        everything = await self._membership.closure(segments)
        now = self._now()
        ids = sorted(segments)
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), FACET_CHUNK):
            chunk = ids[start : start + FACET_CHUNK]
            branches: dict[str, list[dict[str, Any]]] = {}
            for n, segment_id in enumerate(chunk):
                members = member_filter(everything[segment_id], everything, now)
                listed = listed_live_filter(segment_id, now)
                weight = f"${entry_path(segment_id)}.weight"
                branches[f"u{n}"] = [
                    {"$match": {"$and": [members, {"$nor": [listed]}]}},
                    {"$count": "n"},
                ]
                listed_heavy = {
                    "$and": [
                        members,
                        listed,
                        {f"{entry_path(segment_id)}.weight": {"$gte": min_weight}},
                    ]
                }
                branches[f"c{n}"] = [{"$match": listed_heavy}, {"$count": "n"}]
                # one accumulator per $group: FerretDB v1 returns 0 for every accumulator
                # after the first (measured: {n: $sum 1, w: $sum path} gave w = 0)
                branches[f"w{n}"] = [
                    {"$match": listed_heavy},
                    {"$group": {"_id": None, "w": {"$sum": weight}}},
                ]
            found = await self._run_branches(branches)
            for n, segment_id in enumerate(chunk):
                unlisted = (found.get(f"u{n}") or [{"n": 0}])[0]["n"]
                heavy = (found.get(f"c{n}") or [{"n": 0}])[0]["n"]
                heavy_weight = (found.get(f"w{n}") or [{"w": 0}])[0]["w"]
                count = unlisted + heavy
                total_weight = unlisted + float(heavy_weight)
                rows.append(
                    {
                        "segmentId": segment_id,
                        "userCount": count,
                        "strength": round(total_weight / count, 6) if count else 0.0,
                    }
                )
        return rows

    async def _run_branches(
        self, branches: dict[str, list[dict[str, Any]]]
    ) -> dict[str, list[Any]]:
        users = self._membership.users
        if self._store.capabilities.facet:
            return await users.facet(branches)
        names = list(branches)
        results = await asyncio.gather(*(users.aggregate(branches[name]) for name in names))
        return dict(zip(names, results, strict=True))

    # ------------------------------------------------------------ preview

    async def preview(
        self, *, rules_input: Mapping[str, Any] | None, fql: Any, segment_id: int | None
    ) -> Preview:
        if rules_input is not None and fql is not None:
            raise bad_input("give rules or fql, not both", ("fql",))
        if fql is not None:
            rules = parse_fql(fql, ("fql",))
        elif rules_input is not None:
            rules = validate_rules(
                rules_input.get("include") or [], rules_input.get("exclude") or [], ("rules",)
            )
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
        everything = await self._membership.closure({**found, **known})
        if any(candidate.id in s.rules.referenced_segments() for s in found.values()):
            raise UserInputError.single(
                ErrorCode.CYCLE, "segment criteria would form a cycle", ("rules",)
            )
        now = self._now()
        users = self._membership.users
        new_filter = member_filter(candidate, everything, now)
        if current is None:
            count, sample = await asyncio.gather(
                users.count(new_filter), users.page(new_filter, after=None, limit=SAMPLE_SIZE)
            )
            return Preview(count, None, None, sample, [], [])
        old_filter = member_filter(current, {**everything, current.id: current}, now)
        entering = {"$and": [new_filter, {"$nor": [old_filter]}]}
        leaving = {"$and": [old_filter, {"$nor": [new_filter]}]}
        results = await asyncio.gather(
            users.count(new_filter),
            users.count(entering),
            users.count(leaving),
            users.page(new_filter, after=None, limit=SAMPLE_SIZE),
            users.page(entering, after=None, limit=SAMPLE_SIZE),
            users.page(leaving, after=None, limit=SAMPLE_SIZE),
        )
        return Preview(*results)


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
