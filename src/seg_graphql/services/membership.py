"""Membership use cases: status overrides, list entries, members, checks and history (the
writes themselves go through membership_writes.MembershipWriter)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from seg_graphql.domain.changes import (
    ListEntry,
    StatusChange,
    check_expiry,
    check_timestamp,
)
from seg_graphql.domain.errors import ErrorCode, Problem, UserInputError
from seg_graphql.domain.history import EventSource, HistoryOf, MembershipEvent
from seg_graphql.domain.identifiers import parse_numeric_id
from seg_graphql.domain.inputs import MAX_BATCH, parse_batch
from seg_graphql.domain.membership import Entry, MembershipState, state_of, status_version
from seg_graphql.domain.membership_changes import ListAdd, ListRemove, Override
from seg_graphql.domain.models import Segment
from seg_graphql.domain.segment_references import with_references
from seg_graphql.domain.times import from_unix_ms
from seg_graphql.domain.user import User
from seg_graphql.services.membership_writes import MembershipWriter, Outcome, refusal_to_edit
from seg_graphql.services.scope import Scope

MAX_CHECK_SEGMENTS = 100


@dataclass
class StatusResult:
    segment: Segment
    user: User
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
    def __init__(self, scope: Scope) -> None:
        self.principal = scope.principal
        self._scope = scope
        self.users = scope.users
        self.segments = scope.segments
        self._now = scope.now

    def now(self) -> datetime:
        return self._now()

    def _writer(self) -> MembershipWriter:
        # One per call: each call counts the lists it grows afresh, as other requests write too.
        return MembershipWriter(self._scope, EventSource.API)

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
        overrides: dict[int, Override] = {}
        for index, change in changes.items():
            path = path_of(index)
            segment_id = parse_numeric_id(change.segment_id)
            segment = segments.get(segment_id) if segment_id is not None else None
            user = users.get(change.user)
            problem = self._target_problem(segment, user, change.segment_id, change.user, path)
            if problem:
                problems.append(problem)
            else:
                overrides[index] = _override(segment, user, change, now)
        outcomes = await self._writer().apply(list(overrides.values()), at=now)
        for (index, override), outcome in zip(overrides.items(), outcomes, strict=True):
            results[index] = StatusResult(
                override.segment, outcome.user, outcome.applied, outcome.entry
            )
        await self._refresh_unapplied(results)
        return BatchResult(results=results, problems=problems)

    async def _refresh_unapplied(self, results: list[StatusResult | None]) -> None:
        """Changes not applied report the user as stored now (with the newer change that
        won), read once for the whole batch."""
        stale = [r for r in results if r is not None and not r.applied]
        if not stale:
            return
        current = await self.users.get_many(r.user.user_id for r in stale)
        for result in stale:
            user = current.get(result.user.user_id, result.user)
            result.user = user
            result.entry = user.entry(result.segment.id)

    def _target_problem(
        self,
        segment: Segment | None,
        user: User | None,
        segment_ref: str,
        user_ref: str,
        path: tuple,
    ) -> Problem | None:
        if segment is None:
            return Problem(
                ErrorCode.NOT_FOUND, f"segment {segment_ref[:20]} not found", (*path, "segmentId")
            )
        refusal = refusal_to_edit(self._scope, segment)
        if refusal:
            return Problem(refusal.code, refusal.message, (*path, "segmentId"))
        if user is None:
            return Problem(ErrorCode.NOT_FOUND, f"user {user_ref[:80]} not found", (*path, "user"))
        return None

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
        targets: dict[int, tuple[User, ListEntry]] = {}
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
        changes = [
            ListAdd(
                segment,
                user,
                expires_at=entry.expires_at(now),
                weight=entry.weight,
                data_bag=entry.data_bag,
            )
            for user, entry in targets.values()
        ]
        outcomes = await self._writer().apply(changes, at=now, refuse_all_when_full=("users",))
        return _batch_result(segment, targets, outcomes, problems, len(items))

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
        targets: dict[int, tuple[User, ListEntry | None]] = {}
        for index, ref in enumerate(users):
            user = found.get(ref)
            if user is None:
                problems.append(
                    Problem(ErrorCode.NOT_FOUND, f"user {ref[:80]} not found", ("users", index))
                )
            else:
                targets[index] = (user, None)
        changes = [ListRemove(segment, user) for user, _ in targets.values()]
        outcomes = await self._writer().apply(changes, at=self._now())
        return _batch_result(segment, targets, outcomes, problems, len(users))

    async def _editable(self, segment_id: int) -> Segment:
        segment = await self.segments.get(segment_id)
        if segment is None:
            raise UserInputError.single(
                ErrorCode.NOT_FOUND, f"segment {segment_id} not found", ("segmentId",)
            )
        refusal = refusal_to_edit(self._scope, segment)
        if refusal:
            raise UserInputError.single(refusal.code, refusal.message, ("segmentId",))
        return segment

    # ------------------------------------------------------------ reads

    async def member_pages(
        self, keys: Sequence[MemberPageKey], segments: Mapping[int, Segment]
    ) -> list[tuple[list[User], bool]]:
        """A page of members for each key: ONE command where the server has $facet."""
        everything = await with_references(segments, self.segments.get_many)
        requests = [(k.segment_id, k.after, k.first + 1) for k in keys]
        pages = await self._scope.members.pages(requests, everything, self._now())
        return [
            (page[: key.first], len(page) > key.first)
            for page, key in zip(pages, keys, strict=True)
        ]

    async def history_page(
        self, about: HistoryOf, *, before: str | None, limit: int
    ) -> list[MembershipEvent]:
        """Membership events of one segment or one user, newest first."""
        return await self._scope.events.page(about, before=before, limit=limit)

    async def history_count(self, about: HistoryOf) -> int:
        return await self._scope.events.count(about)

    def memberships_of(
        self,
        user: User,
        segments: Mapping[int, Segment],
        only: Sequence[int] | None = None,
    ) -> list[Membership]:
        """Evaluated in memory on the user (same semantics as member_filter)."""
        now = self._now()
        ids = only if only is not None else sorted(segments)
        return [
            Membership(segments[i], state_of(segments[i], user, segments, now), user.entry(i))
            for i in ids
            if i in segments
        ]

    async def check(
        self, user_ref: str, segment_ids: Sequence[int], segments_loader: Any
    ) -> tuple[User, list[Membership]]:
        """Is one user in many segments: the user (with all its membership state) and the
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
        everything = await with_references(found, self.segments.get_many)
        return user, self.memberships_of(user, everything, only=list(segment_ids))


def _override(segment: Segment, user: User, change: StatusChange, now: datetime) -> Override:
    timestamp_ms = change.timestamp_ms(now)
    meta = change.metadata
    return Override(
        segment,
        user,
        change.user_status,
        status_version(change.user_status, timestamp_ms, meta.reference_id, meta.description),
        status_at=from_unix_ms(timestamp_ms),
        reference_id=meta.reference_id,
        description=meta.description,
    )


def _batch_result(
    segment: Segment,
    targets: Mapping[int, tuple[User, Any]],
    outcomes: Sequence[Outcome],
    problems: list[Problem],
    size: int,
) -> BatchResult:
    results: list[StatusResult | None] = [None] * size
    for index, outcome in zip(targets, outcomes, strict=True):
        if outcome.refusal is not None:
            refusal = outcome.refusal
            problems.append(Problem(refusal.code, refusal.message, ("users", index)))
        else:
            results[index] = StatusResult(segment, outcome.user, outcome.applied, outcome.entry)
    return BatchResult(results=results, problems=problems, segment=segment)
