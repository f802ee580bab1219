"""The one owner of every change of users' membership state: list adds and removes (from the
API and from imports), status overrides, and the expiry sweep. Edit rights, the list limit,
the order of writes and the history events are decided here, once; the domain computes each
change's entry update and event (domain/membership_changes.py), the store writes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from seg_graphql.domain.errors import ErrorCode, UserInputError
from seg_graphql.domain.history import EventSource
from seg_graphql.domain.membership import Entry, entry_of
from seg_graphql.domain.membership_changes import (
    Actor,
    Change,
    ListAdd,
    ListRemove,
    Override,
    plan_change,
    plan_expiry,
)
from seg_graphql.domain.models import Segment, SegmentType
from seg_graphql.services.auth import can_edit
from seg_graphql.services.scope import Scope
from seg_graphql.store.errors import DuplicateKey

MAX_LISTED = 100_000  # loyalty seed: "Users per static segment 100,000"


@dataclass(frozen=True)
class Refusal:
    code: ErrorCode
    message: str


@dataclass
class Outcome:
    """What became of one change: applied (or already true), or refused, or (an override)
    not applied because a newer one is stored."""

    applied: bool
    user: dict[str, Any]  # as the change left it (as read, when not applied)
    entry: Entry | None
    refusal: Refusal | None = None


def refusal_to_edit(scope: Scope, segment: Segment) -> Refusal | None:
    if can_edit(scope.principal, segment):
        return None
    return Refusal(
        ErrorCode.FORBIDDEN, f"this key may not change memberships of segment {segment.id}"
    )


def list_full(segment_id: int, listed: int, adding: int) -> Refusal:
    return Refusal(
        ErrorCode.LIMIT_EXCEEDED,
        f"segment {segment_id} lists at most {MAX_LISTED} users (limit); it lists {listed} "
        f"and this adds {adding}",
    )


class MembershipWriter:
    """`replayable` (imports): a batch may be applied again after a crash or a failed
    attempt, so list sizes counted in a batch are set from the count (never moved twice)
    and events, which carry ids derived from their lines, are recorded once."""

    def __init__(self, scope: Scope, source: EventSource, *, replayable: bool = False) -> None:
        self._scope = scope
        self._actor = Actor(scope.principal, source)
        self._replayable = replayable
        self._maybe_repeated = False
        self._listed: dict[int, int] = {}  # list sizes as counted, then moved by our writes

    def forget(self) -> None:
        """After a failed apply: what it may have written is unknown, so lists are counted
        again and its events may exist already."""
        self._listed.clear()
        self._maybe_repeated = True

    async def apply(
        self,
        changes: Sequence[Change],
        *,
        at: datetime,
        refuse_all_when_full: tuple[str | int, ...] | None = None,
    ) -> list[Outcome]:
        """Applies the changes in order, each on the user as the earlier ones leave it.
        A change over the list limit is refused alone, or, given `refuse_all_when_full`
        (the error's path), the whole batch is refused before anything is written."""
        overrides = [c for c in changes if isinstance(c, Override)]
        if overrides:
            return await self._apply_overrides(changes, at)
        editable = [c for c in changes if refusal_to_edit(self._scope, c.segment) is None]
        counted = await self._count_lists(editable, every=self._replayable)
        moved: Counter[int] = Counter()  # how much this batch grows (shrinks) each list
        adding: Counter[int] = Counter()
        state: dict[str, dict[str, Any]] = {}  # userId -> the user as the batch leaves it
        outcomes: list[Outcome] = []
        planned = []
        for change in changes:
            segment = change.segment
            user = state.get(change.user["userId"])
            if user is not None and isinstance(change, ListAdd):
                change = replace(change, user=user, creates=False)
            elif user is not None:
                change = replace(change, user=user)
            refusal = refusal_to_edit(self._scope, segment)
            was_listed = (entry_of(change.user, segment.id) or Entry()).listed
            if refusal is None and isinstance(change, ListAdd) and not was_listed:
                adding[segment.id] += 1
                listed = self._listed[segment.id] + moved[segment.id]
                if listed + 1 > MAX_LISTED and refuse_all_when_full is None:
                    refusal = list_full(segment.id, listed, 1)
            if refusal is not None:
                outcomes.append(Outcome(False, dict(change.user), None, refusal))
                continue
            if isinstance(change, ListRemove) and not was_listed:
                entry = entry_of(change.user, segment.id)
                outcomes.append(Outcome(True, dict(change.user), entry))
                continue  # nobody to take off the list: the change's intent already holds
            plan = plan_change(change, self._actor, at)
            listed_now = plan.entry is not None and plan.entry.listed
            if listed_now is not was_listed:
                moved[segment.id] += 1 if listed_now else -1
            state[plan.user["userId"]] = plan.user
            planned.append(plan)
            outcomes.append(Outcome(True, plan.user, plan.entry))
        if refuse_all_when_full is not None:
            for segment_id, count in sorted(adding.items()):
                if self._listed[segment_id] + count > MAX_LISTED:
                    full = list_full(segment_id, self._listed[segment_id], count)
                    raise UserInputError.single(full.code, full.message, refuse_all_when_full)
        # Events first, then the users they describe: a batch applied again after a failure
        # derives its events from the users as stored, so the events of users written before
        # the failure exist only if they were recorded before those users were written.
        await self._record([p.event for p in planned if p.event is not None])
        await self._scope.users.write_entries([p.update for p in planned])
        for segment_id in self._listed.keys() & moved.keys():
            self._listed[segment_id] += moved[segment_id]
        await self._move_list_sizes(editable, moved, counted, at)
        return outcomes

    async def expire_due(self, users: Sequence[dict[str, Any]], now: datetime) -> list[int]:
        """Takes the users off the lists whose entries expired at `now`; the segments whose
        lists lost an entry, once per entry (only the sweep whose update landed counts it)."""
        left: list[int] = []
        for user in users:
            update = plan_expiry(user, now)
            # The write decides (two sweeps may race): its events only after it landed.
            if update is None or not await self._scope.users.expire_entries(update):
                continue
            await self._scope.events.record(update.events)
            left.extend(update.segment_ids)
        for segment_id, count in sorted(Counter(left).items()):
            await self._scope.segments.change_list_size(segment_id, now, by=-count)
        return left

    async def _apply_overrides(self, changes: Sequence[Change], at: datetime) -> list[Outcome]:
        """Each override is written only over an older version (out-of-order delivery is
        normal), so the write decides whether it applies: its event follows the write."""
        outcomes: list[Outcome] = []
        events = []
        for change in changes:
            assert isinstance(change, Override), "overrides are applied in batches of their own"
            refusal = refusal_to_edit(self._scope, change.segment)
            if refusal is not None:
                outcomes.append(Outcome(False, dict(change.user), None, refusal))
                continue
            update = plan_change(change, self._actor, at).update
            before = await self._scope.users.write_entry_if_newer(update)
            if before is None:
                entry = entry_of(change.user, change.segment.id)
                outcomes.append(Outcome(False, dict(change.user), entry))
                continue
            plan = plan_change(replace(change, user=before), self._actor, at)
            outcomes.append(Outcome(True, plan.user, plan.entry))
            events.append(plan.event)
        await self._scope.events.record(events)
        return outcomes

    async def _count_lists(self, changes: Sequence[Change], *, every: bool) -> set[int]:
        """Counts, in one command, the lists not counted yet: those a change may grow (for
        the limit) or, for a replayable writer, every list it touches (to set its size)."""
        wanted = {
            c.segment.id
            for c in changes
            if every
            or (isinstance(c, ListAdd) and not (entry_of(c.user, c.segment.id) or Entry()).listed)
        }
        fresh = sorted(wanted - self._listed.keys())
        if fresh:
            sizes = await self._scope.members.list_sizes(fresh)
            self._listed.update(zip(fresh, sizes, strict=True))
        return set(fresh)

    async def _move_list_sizes(
        self, changes: Sequence[Change], moved: Counter[int], counted: set[int], at: datetime
    ) -> None:
        """A STATIC segment's estimatedSize is its list size: a list counted in this batch of
        a replayable writer gets the count (a replayed batch sets it right); otherwise it
        moves by the batch's delta."""
        static = sorted({c.segment.id for c in changes if c.segment.type is SegmentType.STATIC})
        for segment_id in static:
            if self._replayable and segment_id in counted:
                size = self._listed[segment_id]
                await self._scope.segments.change_list_size(segment_id, at, to=size)
            else:
                await self._scope.segments.change_list_size(segment_id, at, by=moved[segment_id])

    async def _record(self, events: list[dict[str, Any]]) -> None:
        if not self._replayable:
            await self._scope.events.record(events)
        elif self._maybe_repeated:
            await self._scope.events.record_once(events)
            self._maybe_repeated = False
        else:
            try:
                await self._scope.events.record(events)
            except DuplicateKey:  # another worker replayed this batch too (a lost lease)
                await self._scope.events.record_once(events)

    def may_be_repeated(self) -> None:
        """The next batch may repeat one applied before (the first of a resumed job)."""
        self._maybe_repeated = True
