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

from seg_graphql.domain.errors import ErrorCode, UserInputError
from seg_graphql.domain.history import EventSource, MembershipEvent
from seg_graphql.domain.membership import Entry
from seg_graphql.domain.membership_changes import (
    Actor,
    Change,
    Expire,
    ListAdd,
    ListRemove,
    Override,
    plan_change,
    plan_expiry,
)
from seg_graphql.domain.models import Segment, SegmentType
from seg_graphql.domain.user import User
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
    """What became of one change: applied (or already true), or refused, or (an override,
    an expiry) not applied because a newer write is stored."""

    applied: bool
    # as the change left it (as read, when not applied); None for an expiry (the sweep reads
    # entries only: see `expired`) and where there was nobody to take off a list
    user: User | None
    entry: Entry | None
    refusal: Refusal | None = None
    expired: tuple[int, ...] = ()  # an expiry: the segments whose lists the user left


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
        (the error's path), the whole batch is refused before anything is written.
        Overrides and expiries are conditional writes, each applied in a batch of its own."""
        kinds = {type(change) for change in changes}
        if len(kinds) > 1 and kinds & {Override, Expire}:
            raise ValueError("overrides and expiries are applied in batches of their own")
        if Override in kinds:
            return await self._apply_overrides(changes, at)
        if Expire in kinds:
            return await self._expire(changes, at)
        refusals = self._refusals(changes)
        # The lists this batch may change (a removal of nobody changes none).
        editable = [c for c in changes if refusals[c.segment.id] is None and c.user is not None]
        counted = await self._count_lists(editable, every=self._replayable)
        moved: Counter[int] = Counter()  # how much this batch grows (shrinks) each list
        adding: Counter[int] = Counter()
        state: dict[str, User] = {}  # userId -> the user as the batch leaves it
        outcomes: list[Outcome] = []
        planned = []
        for change in changes:
            segment = change.segment
            refusal = refusals[segment.id]
            if change.user is None:  # nobody to take off the list, once the key may edit it
                outcomes.append(Outcome(refusal is None, None, None, refusal))
                continue
            user = state.get(change.user.user_id)
            if user is not None and isinstance(change, ListAdd):
                change = replace(change, user=user, creates=False)
            elif user is not None:
                change = replace(change, user=user)
            was_listed = (change.user.entry(segment.id) or Entry()).listed
            if refusal is None and isinstance(change, ListAdd) and not was_listed:
                adding[segment.id] += 1
                listed = self._listed[segment.id] + moved[segment.id]
                if listed + 1 > MAX_LISTED and refuse_all_when_full is None:
                    refusal = list_full(segment.id, listed, 1)
            if refusal is not None:
                outcomes.append(Outcome(False, change.user, None, refusal))
                continue
            if isinstance(change, ListRemove) and not was_listed:
                outcomes.append(Outcome(True, change.user, change.user.entry(segment.id)))
                continue  # nobody to take off the list: the change's intent already holds
            plan = plan_change(change, self._actor, at)
            listed_now = plan.entry.listed
            if listed_now is not was_listed:
                moved[segment.id] += 1 if listed_now else -1
            state[plan.user.user_id] = plan.user
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

    async def drop_segment(self, segment_id: int) -> None:
        """A deleted segment's entries leave every user document (ids are never reused, so
        they would be harmless; removing them keeps documents small). No event is written:
        the history is the record of what happened while the segment existed, and stays. A
        user's next expiry may then name a dropped entry: the sweep recomputes it when due."""
        await self._scope.users.remove_segment(segment_id)

    async def _expire(self, changes: Sequence[Expire], at: datetime) -> list[Outcome]:
        """Takes each user off the lists whose entries expired at `at`. Two sweeps may race:
        the write decides (the user's next expiry is still the one read), so its events
        follow it, and a list shrinks once per entry, by the sweep whose write landed."""
        outcomes: list[Outcome] = []
        left: Counter[int] = Counter()
        for change in changes:
            update = plan_expiry(change.user, self._actor, at)
            landed = await self._scope.users.expire_entries(update)
            if landed:
                await self._scope.events.record(update.events)
                left.update(update.segment_ids)
            expired = update.segment_ids if landed else ()
            outcomes.append(Outcome(landed, None, None, expired=expired))
        for segment_id, count in sorted(left.items()):
            await self._scope.segments.change_list_size(segment_id, at, by=-count)
        return outcomes

    async def _apply_overrides(self, changes: Sequence[Change], at: datetime) -> list[Outcome]:
        """Each override is written only over an older version (out-of-order delivery is
        normal), so the write decides whether it applies: its event follows the write."""
        outcomes: list[Outcome] = []
        events = []
        refusals = self._refusals(changes)
        for change in changes:
            refusal = refusals[change.segment.id]
            if refusal is not None:
                outcomes.append(Outcome(False, change.user, None, refusal))
                continue
            update = plan_change(change, self._actor, at).update
            before = await self._scope.users.write_entry_if_newer(update)
            if before is None:
                entry = change.user.entry(change.segment.id)
                outcomes.append(Outcome(False, change.user, entry))
                continue
            plan = plan_change(replace(change, user=before), self._actor, at)
            outcomes.append(Outcome(True, plan.user, plan.entry))
            events.append(plan.event)
        await self._scope.events.record(events)
        return outcomes

    def _refusals(self, changes: Sequence[Change]) -> dict[int, Refusal | None]:
        """The edit right, decided once per segment of the batch."""
        segments = {c.segment.id: c.segment for c in changes}
        return {i: refusal_to_edit(self._scope, segment) for i, segment in segments.items()}

    async def _count_lists(self, changes: Sequence[Change], *, every: bool) -> set[int]:
        """Counts, in one command, the lists not counted yet: those a change may grow (for
        the limit) or, for a replayable writer, every list it touches (to set its size)."""
        wanted = {
            c.segment.id
            for c in changes
            if every
            or (isinstance(c, ListAdd) and not (c.user.entry(c.segment.id) or Entry()).listed)
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

    async def _record(self, events: list[MembershipEvent]) -> None:
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
