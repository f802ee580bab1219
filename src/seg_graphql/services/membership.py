"""Membership use cases: status overrides, list entries, members, checks and history."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from seg_graphql.domain.changes import (
    ListEntry,
    StatusChange,
    check_expiry,
    check_timestamp,
)
from seg_graphql.domain.errors import ErrorCode, Problem, UserInputError
from seg_graphql.domain.history import EventAction, EventSource, event_document, with_entry
from seg_graphql.domain.identifiers import parse_numeric_id
from seg_graphql.domain.inputs import MAX_BATCH, parse_batch
from seg_graphql.domain.membership import (
    Entry,
    MembershipState,
    UserStatus,
    entry_of,
    entry_path,
    member_filter,
    state_of,
    status_version,
)
from seg_graphql.domain.models import Principal, Segment, SegmentType
from seg_graphql.domain.times import naive_utc
from seg_graphql.services.auth import can_edit
from seg_graphql.services.clock import Clock, utc_now
from seg_graphql.services.in_memory_members import count_members, page_members
from seg_graphql.store.client import Store
from seg_graphql.store.events import EventStore
from seg_graphql.store.segments import SegmentStore
from seg_graphql.store.users import UserStore

MAX_LISTED = 100_000  # loyalty seed: "Users per static segment 100,000"
MAX_CHECK_SEGMENTS = 100


@dataclass
class StatusResult:
    segment: Segment
    user: dict[str, Any]
    applied: bool
    entry: Entry | None


@dataclass
class BatchResult:
    results: list[StatusResult | None]
    problems: list[Problem] = field(default_factory=list)
    segment: Segment | None = None  # the one segment of a list change


@dataclass(frozen=True)
class Membership:
    segment: Segment
    state: MembershipState
    entry: Entry | None

    @property
    def is_member(self) -> bool:
        return self.state in (
            MembershipState.ADDED,
            MembershipState.LISTED,
            MembershipState.MATCHED,
        )


@dataclass(frozen=True)
class MemberPageKey:
    segment_id: int
    first: int
    after: str | None


class MembershipService:
    def __init__(self, store: Store, principal: Principal, clock: Clock = utc_now) -> None:
        self.principal = principal
        self._store = store
        tenant = principal.tenant
        self.users = UserStore(store.db, tenant, max_batch=store.capabilities.max_update_batch)
        self.segments = SegmentStore(store.db, tenant)
        self.events = EventStore(store.db, tenant)
        self._now = clock

    def now(self) -> datetime:
        return self._now()

    # ------------------------------------------------------------ status overrides

    async def set_statuses(self, items: Sequence[Mapping[str, Any]], root: str) -> BatchResult:
        """Applies each valid change; invalid ones are reported by index and change nothing."""
        now = self._now()

        def path_of(index: int) -> tuple[str | int, ...]:
            return (root, index) if root == "inputs" else (root,)

        parsed, problems = parse_batch(
            StatusChange, items, path_of, noun="status changes", root=root
        )
        changes: dict[int, StatusChange] = {}
        for index, change in parsed.items():
            problem = check_timestamp(change, now)
            if problem:
                problems.append(
                    Problem(
                        ErrorCode.BAD_USER_INPUT,
                        problem,
                        (*path_of(index), "metadata", "statusChangeTimestamp"),
                    )
                )
            else:
                changes[index] = change
        segments, users = await asyncio.gather(
            self.segments.get_many(
                i for c in changes.values() if (i := parse_numeric_id(c.segment_id)) is not None
            ),
            self.users.resolve_many([c.user for c in changes.values()]),
        )
        results: list[StatusResult | None] = [None] * len(items)
        events: list[dict[str, Any]] = []
        for index, change in changes.items():
            path = path_of(index)
            segment_id = parse_numeric_id(change.segment_id)
            segment = segments.get(segment_id) if segment_id is not None else None
            user = users.get(change.user)
            problem = self._target_problem(segment, user, change.segment_id, change.user, path)
            if problem:
                problems.append(problem)
                continue
            result, event = await self._apply_status(segment, user, change, now)
            results[index] = result
            if event:
                events.append(event)
        await self.events.record(events)
        await self._refresh_unapplied(results)
        return BatchResult(results=results, problems=problems)

    async def _refresh_unapplied(self, results: list[StatusResult | None]) -> None:
        """Changes not applied report the user as stored now (with the newer change that
        won), read once for the whole batch."""
        stale = [r for r in results if r is not None and not r.applied]
        if not stale:
            return
        current = await self.users.get_many(r.user["userId"] for r in stale)
        for result in stale:
            doc = current.get(result.user["userId"], result.user)
            result.user = doc
            result.entry = entry_of(doc, result.segment.id)

    def _target_problem(
        self,
        segment: Segment | None,
        user: dict[str, Any] | None,
        segment_ref: str,
        user_ref: str,
        path: tuple,
    ) -> Problem | None:
        if segment is None:
            return Problem(
                ErrorCode.NOT_FOUND, f"segment {segment_ref[:20]} not found", (*path, "segmentId")
            )
        if not can_edit(self.principal, segment):
            return Problem(
                ErrorCode.FORBIDDEN,
                f"this key may not change memberships of segment {segment.id}",
                (*path, "segmentId"),
            )
        if user is None:
            return Problem(ErrorCode.NOT_FOUND, f"user {user_ref[:80]} not found", (*path, "user"))
        return None

    async def _apply_status(
        self, segment: Segment, user: dict[str, Any], change: StatusChange, now: datetime
    ) -> tuple[StatusResult, dict[str, Any] | None]:
        path = entry_path(segment.id)
        timestamp_ms = change.timestamp_ms(now)
        meta = change.metadata
        version = status_version(
            change.user_status, timestamp_ms, meta.reference_id, meta.description
        )
        override = None if change.user_status is UserStatus.RESET else change.user_status.value
        status_at = datetime.fromtimestamp(timestamp_ms / 1000, UTC).replace(tzinfo=None)
        before = await self.users.update_entry(
            user["userId"],
            segment.id,
            {"$or": [{f"{path}.version": {"$lt": version}}, {f"{path}.version": None}]},
            {
                "$set": {
                    f"{path}.override": override,
                    f"{path}.version": version,
                    f"{path}.referenceId": meta.reference_id,
                    f"{path}.description": meta.description,
                    f"{path}.statusAt": status_at,
                    f"{path}.updatedAt": naive_utc(now),
                },
                "$addToSet": {"segs": segment.id},
            },
        )
        if before is None:  # a newer (or the same) change is already applied: see _refresh
            return StatusResult(segment, user, False, entry_of(user, segment.id)), None
        old = entry_of(before, segment.id)
        after_doc = with_entry(
            before,
            segment.id,
            {
                "override": override,
                "version": version,
                "referenceId": meta.reference_id,
                "description": meta.description,
                "statusAt": status_at,
                "updatedAt": naive_utc(now),
            },
        )
        new = entry_of(after_doc, segment.id)
        event = self._event(
            segment.id,
            user["userId"],
            now,
            EventAction.OVERRIDE_RESET if override is None else EventAction.OVERRIDE_SET,
            old,
            new,
            EventSource.API,
            reference_id=meta.reference_id,
            description=meta.description,
            status_at=status_at,
        )
        return StatusResult(segment, after_doc, True, new), event

    # ------------------------------------------------------------ list entries

    async def add_to_list(self, segment_id: int, items: Sequence[Mapping[str, Any]]) -> BatchResult:
        segment = await self._editable(segment_id)
        now = self._now()
        parsed, problems = parse_batch(
            ListEntry, items, lambda i: ("users", i), noun="users", root="users"
        )
        entries: dict[int, ListEntry] = {}
        for index, entry in parsed.items():
            problem = check_expiry(entry, now)
            if problem:
                problems.append(
                    Problem(ErrorCode.BAD_USER_INPUT, problem, ("users", index, "expirationTs"))
                )
            else:
                entries[index] = entry
        users = await self.users.resolve_many([e.user for e in entries.values()])
        targets: dict[int, tuple[dict[str, Any], ListEntry]] = {}
        for index, entry in entries.items():
            user = users.get(entry.user)
            if user is None:
                problems.append(
                    Problem(
                        ErrorCode.NOT_FOUND,
                        f"user {entry.user[:80]} not found",
                        ("users", index, "user"),
                    )
                )
            else:
                targets[index] = (user, entry)
        newcomers = {
            u["userId"]
            for u, _ in targets.values()
            if not (entry_of(u, segment.id) or Entry()).listed
        }
        if newcomers:
            listed = await self.users.count(
                {"segs": segment.id, f"{entry_path(segment.id)}.listed": True}
            )
            if listed + len(newcomers) > MAX_LISTED:
                raise UserInputError.single(
                    ErrorCode.LIMIT_EXCEEDED,
                    f"a segment lists at most {MAX_LISTED} users (limit); it lists {listed} and "
                    f"this call adds {len(newcomers)}",
                    ("users",),
                )
        return await self._write_list(
            segment, targets, listed=True, now=now, problems=problems, size=len(items)
        )

    async def remove_from_list(self, segment_id: int, users: Sequence[str]) -> BatchResult:
        segment = await self._editable(segment_id)
        if len(users) > MAX_BATCH:
            raise UserInputError.single(
                ErrorCode.LIMIT_EXCEEDED,
                f"at most {MAX_BATCH} users per call (limit), got {len(users)}",
                ("users",),
            )
        found = await self.users.resolve_many(list(users))
        problems: list[Problem] = []
        targets: dict[int, tuple[dict[str, Any], ListEntry | None]] = {}
        for index, ref in enumerate(users):
            user = found.get(ref)
            if user is None:
                problems.append(
                    Problem(ErrorCode.NOT_FOUND, f"user {ref[:80]} not found", ("users", index))
                )
            else:
                targets[index] = (user, None)
        return await self._write_list(
            segment, targets, listed=False, now=self._now(), problems=problems, size=len(users)
        )

    async def _write_list(
        self,
        segment: Segment,
        targets: Mapping[int, tuple[dict, Any]],
        *,
        listed: bool,
        now: datetime,
        problems: list[Problem],
        size: int,
    ) -> BatchResult:
        path = entry_path(segment.id)
        updates = []
        events = []
        results: list[StatusResult | None] = [None] * size
        for index, (user, entry) in targets.items():
            fields: dict[str, Any] = {"listed": listed, "updatedAt": naive_utc(now)}
            if listed:
                expires = entry.expires_at(now)
                fields.update(
                    expiresAt=naive_utc(expires) if expires else None,
                    weight=entry.weight,
                    dataBag=entry.data_bag,
                )
            update: dict[str, Any] = {
                "$set": {f"{path}.{k}": v for k, v in fields.items()},
                "$addToSet": {"segs": segment.id},
            }
            if listed and fields["expiresAt"] is not None:
                update["$min"] = {"nextExpiry": fields["expiresAt"]}
            updates.append(({"userId": user["userId"]}, update, False))
            after_doc = with_entry(user, segment.id, fields)
            old, new = entry_of(user, segment.id), entry_of(after_doc, segment.id)
            results[index] = StatusResult(segment, after_doc, True, new)
            events.append(
                self._event(
                    segment.id,
                    user["userId"],
                    now,
                    EventAction.LISTED if listed else EventAction.UNLISTED,
                    old,
                    new,
                    EventSource.API,
                )
            )
        if updates:
            await self.users.bulk_update(updates)
            await self.events.record(events)
            if segment.type is SegmentType.STATIC:
                await self.segments.change_list_size(
                    segment.id, now, by=_list_delta(segment.id, targets.values(), listed)
                )
        return BatchResult(results=results, problems=problems, segment=segment)

    async def _editable(self, segment_id: int) -> Segment:
        segment = await self.segments.get(segment_id)
        if segment is None:
            raise UserInputError.single(
                ErrorCode.NOT_FOUND, f"segment {segment_id} not found", ("segmentId",)
            )
        if not can_edit(self.principal, segment):
            raise UserInputError.single(
                ErrorCode.FORBIDDEN,
                f"this key may not change memberships of segment {segment.id}",
                ("segmentId",),
            )
        return segment

    # ------------------------------------------------------------ reads

    async def closure(self, segments: Mapping[int, Segment]) -> dict[int, Segment]:
        """The given segments plus every segment their criteria reference, transitively:
        one query per level of reference."""
        known = dict(segments)
        missing = {
            ref for s in known.values() for ref in s.rules.referenced_segments()
        } - known.keys()
        while missing:
            found = await self.segments.get_many(missing)
            known.update(found)
            missing = {
                ref for s in found.values() for ref in s.rules.referenced_segments()
            } - known.keys()
        return known

    async def member_pages(
        self, keys: Sequence[MemberPageKey], segments: Mapping[int, Segment]
    ) -> list[tuple[list[dict[str, Any]], bool]]:
        """A page of members for each key: ONE command with $facet where the server has it."""
        now = self._now()
        everything = await self.closure(segments)
        if self._store.embedded:  # see in_memory_members.py
            users = await self.users.everyone()
            pages = [
                page_members(
                    users,
                    everything[k.segment_id],
                    everything,
                    now,
                    after=k.after,
                    limit=k.first + 1,
                )
                for k in keys
            ]
            return [(p[: k.first], len(p) > k.first) for p, k in zip(pages, keys, strict=True)]
        queries = []
        for key in keys:
            query = member_filter(everything[key.segment_id], everything, now)
            if key.after is not None:
                query = {"$and": [query, {"userId": {"$gt": key.after}}]}
            queries.append(query)
        if self._store.capabilities.facet and keys:
            branches = {
                f"k{i}": [
                    {"$match": q},
                    {"$sort": {"userId": 1}},
                    {"$limit": key.first + 1},
                    {"$project": {"_id": 0}},
                ]
                for i, (q, key) in enumerate(zip(queries, keys, strict=True))
            }
            found = await self.users.facet(branches)
            pages = [found.get(f"k{i}", []) for i in range(len(keys))]
        else:
            pages = await asyncio.gather(
                *(
                    self.users.page(q, after=None, limit=key.first + 1)
                    for q, key in zip(queries, keys, strict=True)
                )
            )
        return [
            (page[: key.first], len(page) > key.first)
            for page, key in zip(pages, keys, strict=True)
        ]

    async def member_counts(self, segments: Mapping[int, Segment], ids: Sequence[int]) -> list[int]:
        """Exact, live member counts, computed by the database: one $facet command."""
        now = self._now()
        everything = await self.closure(segments)
        if self._store.embedded:  # see in_memory_members.py
            wanted = [everything[i] for i in ids]
            return count_members(await self.users.everyone(), wanted, everything, now)
        return await self._count_each([member_filter(everything[i], everything, now) for i in ids])

    async def list_sizes(self, ids: Sequence[int]) -> list[int]:
        """How many users each segment's list holds (expired entries until they are swept,
        as the list limit counts them): one $facet command."""
        return await self._count_each([{"segs": i, f"{entry_path(i)}.listed": True} for i in ids])

    async def _count_each(self, queries: Sequence[Mapping[str, Any]]) -> list[int]:
        if self._store.capabilities.facet and queries:
            found = await self.users.facet(
                {f"k{n}": [{"$match": q}, {"$count": "n"}] for n, q in enumerate(queries)}
            )
            return [(found.get(f"k{n}") or [{"n": 0}])[0]["n"] for n in range(len(queries))]
        return list(await asyncio.gather(*(self.users.count(q) for q in queries)))

    def memberships_of(
        self,
        user: Mapping[str, Any],
        segments: Mapping[int, Segment],
        only: Sequence[int] | None = None,
    ) -> list[Membership]:
        """Evaluated in memory on the user document (same semantics as member_filter)."""
        now = self._now()
        ids = only if only is not None else sorted(segments)
        return [
            Membership(segments[i], state_of(segments[i], user, segments, now), entry_of(user, i))
            for i in ids
            if i in segments
        ]

    async def check(
        self, user_ref: str, segment_ids: Sequence[int], segments_loader: Any
    ) -> tuple[dict[str, Any], list[Membership]]:
        """Is one user in many segments: the user document (all its membership state) and the
        segment definitions are read concurrently, one command each."""
        if len(segment_ids) > MAX_CHECK_SEGMENTS:
            raise UserInputError.single(
                ErrorCode.LIMIT_EXCEEDED,
                f"check at most {MAX_CHECK_SEGMENTS} segments at once (limit)",
                ("segmentIds",),
            )
        user, found = await asyncio.gather(
            self.users.resolve(user_ref), segments_loader(list(segment_ids))
        )
        if user is None:
            raise UserInputError.single(
                ErrorCode.NOT_FOUND, f"user {user_ref[:80]} not found", ("userId",)
            )
        missing = [i for i in segment_ids if i not in found]
        if missing:
            raise UserInputError.single(
                ErrorCode.NOT_FOUND, f"segments {missing} not found", ("segmentIds",)
            )
        everything = await self.closure(found)
        return user, self.memberships_of(user, everything, only=list(segment_ids))

    def _event(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return event_document(self.principal, *args, **kwargs)


def _list_delta(segment_id: int, targets: Any, listed: bool) -> int:
    """How much the list grows (or shrinks) when these users are put on (or taken off) it:
    the users whose entry changes side, each counted once, as the entries were read."""
    changing = {
        user["userId"]
        for user, _ in targets
        if (entry_of(user, segment_id) or Entry()).listed is not listed
    }
    return len(changing) if listed else -len(changing)
