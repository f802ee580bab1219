"""Who is in which segment, asked of the users collection: pages of members, live and
weighted counts, list sizes, and a preview of rules. Callers give domain values (segments,
the segments they reference, a moment); the filters and pipelines are built here.

Several questions go in ONE command with $facet where the server has it (MongoDB, the
embedded store); FerretDB v1 has no $facet, so there they run concurrently, one each. The
embedded store answers members and counts in memory (see in_memory_members.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from seg_graphql.domain.models import Segment, SegmentType
from seg_graphql.domain.user import User
from seg_graphql.store.filters import listed_live_filter, member_filter
from seg_graphql.store.in_memory_members import count_members, page_members
from seg_graphql.store.users import UserStore, entry_path, user_of

PageRequest = tuple[int, str | None, int]  # segment id, after this userId, at most this many
FACET_CHUNK = 50  # segments per command where many are asked (three $facet branches each)


class MemberStore:
    def __init__(self, users: UserStore, *, facet: bool, embedded: bool) -> None:
        self._users = users
        self._facet = facet
        self._embedded = embedded

    async def pages(
        self, requests: Sequence[PageRequest], everything: Mapping[int, Segment], now: datetime
    ) -> list[list[User]]:
        """Members by userId for each request; `everything` holds the segments and every
        segment they reference."""
        if self._embedded:
            users = await self._users.everyone()
            return [
                page_members(users, everything[i], everything, now, after=after, limit=limit)
                for i, after, limit in requests
            ]
        queries = []
        for segment_id, after, _ in requests:
            query = member_filter(everything[segment_id], everything, now)
            if after is not None:
                query = {"$and": [query, {"userId": {"$gt": after}}]}
            queries.append(query)
        if self._facet and requests:
            branches = {
                f"k{n}": [
                    {"$match": query},
                    {"$sort": {"userId": 1}},
                    {"$limit": limit},
                    {"$project": {"_id": 0}},
                ]
                for n, (query, (_, _, limit)) in enumerate(zip(queries, requests, strict=True))
            }
            found = await self._users.facet(branches)
            return [[user_of(doc) for doc in found.get(f"k{n}", [])] for n in range(len(requests))]
        return list(
            await asyncio.gather(
                *(
                    self._users.page(query, after=None, limit=limit)
                    for query, (_, _, limit) in zip(queries, requests, strict=True)
                )
            )
        )

    async def counts(
        self, ids: Sequence[int], everything: Mapping[int, Segment], now: datetime
    ) -> list[int]:
        """Exact, live member counts of the segments `ids`."""
        if self._embedded:
            wanted = [everything[i] for i in ids]
            return count_members(await self._users.everyone(), wanted, everything, now)
        return await self._count_each([member_filter(everything[i], everything, now) for i in ids])

    async def list_sizes(self, ids: Sequence[int]) -> list[int]:
        """How many users each segment's list holds (expired entries until they are swept,
        as the list limit counts them)."""
        return await self._count_each([{"segs": i, f"{entry_path(i)}.listed": True} for i in ids])

    async def sizes(
        self, segments: Mapping[int, Segment], everything: Mapping[int, Segment], now: datetime
    ) -> dict[int, int]:
        """Each segment's size as its estimate counts it: a dynamic segment's live members, a
        static segment's list; FACET_CHUNK segments per command."""
        ids = sorted(segments)
        dynamic = [i for i in ids if segments[i].type is not SegmentType.STATIC]
        static = [i for i in ids if segments[i].type is SegmentType.STATIC]
        sizes: dict[int, int] = {}
        for chunk in _chunks(dynamic):
            sizes.update(zip(chunk, await self.counts(chunk, everything, now), strict=True))
        for chunk in _chunks(static):
            sizes.update(zip(chunk, await self.list_sizes(chunk), strict=True))
        return sizes

    async def weighted_counts(
        self,
        ids: Sequence[int],
        everything: Mapping[int, Segment],
        now: datetime,
        min_weight: float,
    ) -> list[tuple[int, float]]:
        """For each segment, how many members count at `min_weight` and their summed weight
        (a member off the list weighs 1), FACET_CHUNK segments per command, in two parts
        neither needing $cond or $avg (FerretDB v1 has neither): members not listed, and
        listed members at or above the threshold, counted and summed separately."""
        rows = []
        for chunk in _chunks(ids):
            branches: dict[str, list[dict[str, Any]]] = {}
            for n, segment_id in enumerate(chunk):
                members = member_filter(everything[segment_id], everything, now)
                listed = listed_live_filter(segment_id, now)
                weight = f"{entry_path(segment_id)}.weight"
                branches[f"u{n}"] = [
                    {"$match": {"$and": [members, {"$nor": [listed]}]}},
                    {"$count": "n"},
                ]
                heavy = {"$and": [members, listed, {weight: {"$gte": min_weight}}]}
                branches[f"c{n}"] = [{"$match": heavy}, {"$count": "n"}]
                # one accumulator per $group: FerretDB v1 returns 0 for every accumulator
                # after the first (measured: {n: $sum 1, w: $sum path} gave w = 0)
                branches[f"w{n}"] = [
                    {"$match": heavy},
                    {"$group": {"_id": None, "w": {"$sum": f"${weight}"}}},
                ]
            found = await self._run_branches(branches)
            for n in range(len(chunk)):
                unlisted = (found.get(f"u{n}") or [{"n": 0}])[0]["n"]
                heavy_count = (found.get(f"c{n}") or [{"n": 0}])[0]["n"]
                heavy_weight = (found.get(f"w{n}") or [{"w": 0}])[0]["w"]
                rows.append((unlisted + heavy_count, unlisted + float(heavy_weight)))
        return rows

    async def preview(
        self,
        candidate: Segment,
        current: Segment | None,
        everything: Mapping[int, Segment],
        now: datetime,
        sample: int,
    ) -> tuple[int, int | None, int | None, list, list, list]:
        """Members of `candidate` (count and a sample) and, against `current`, who would
        enter and who would leave."""
        new_filter = member_filter(candidate, everything, now)
        if current is None:
            count, matching = await asyncio.gather(
                self._users.count(new_filter),
                self._users.page(new_filter, after=None, limit=sample),
            )
            return count, None, None, matching, [], []
        old_filter = member_filter(current, {**everything, current.id: current}, now)
        entering = {"$and": [new_filter, {"$nor": [old_filter]}]}
        leaving = {"$and": [old_filter, {"$nor": [new_filter]}]}
        found = await asyncio.gather(
            self._users.count(new_filter),
            self._users.count(entering),
            self._users.count(leaving),
            self._users.page(new_filter, after=None, limit=sample),
            self._users.page(entering, after=None, limit=sample),
            self._users.page(leaving, after=None, limit=sample),
        )
        return tuple(found)  # type: ignore[return-value]

    async def _count_each(self, queries: Sequence[Mapping[str, Any]]) -> list[int]:
        if self._facet and queries:
            found = await self._users.facet(
                {f"k{n}": [{"$match": q}, {"$count": "n"}] for n, q in enumerate(queries)}
            )
            return [(found.get(f"k{n}") or [{"n": 0}])[0]["n"] for n in range(len(queries))]
        return list(await asyncio.gather(*(self._users.count(q) for q in queries)))

    async def _run_branches(
        self, branches: dict[str, list[dict[str, Any]]]
    ) -> dict[str, list[Any]]:
        if self._facet:
            return await self._users.facet(branches)
        names = list(branches)
        results = await asyncio.gather(*(self._users.aggregate(branches[n]) for n in names))
        return dict(zip(names, results, strict=True))


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[start : start + FACET_CHUNK] for start in range(0, len(ids), FACET_CHUNK)]
