"""Applies one batch of parsed import lines: validate each line, resolve segments and users
in one query each, then write the batch with ordered bulk writes.

Re-applying a batch gives the same result (a resumed job may repeat the batch it was
applying when its worker died): every write sets values (no increments), times come from
the job (not the clock), users created by a line get an id derived from the line's
identifier, and history events get an id derived from the job and the line, so they are
recorded once. Events are written before the user updates they describe. The one increment,
of a static segment's live list size, is never replayed: the first batch of an applier (a
resumed job's replay) and a batch retried after a failure set the size from a fresh count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from bson import ObjectId
from pydantic import ValidationError

from seg_graphql.domain.changes import check_expiration_ts, expiry_of
from seg_graphql.domain.history import EventAction, EventSource, event_document, with_entry
from seg_graphql.domain.imports import LineProblem
from seg_graphql.domain.inputs import MAX_BATCH
from seg_graphql.domain.membership import Entry, entry_of, entry_path
from seg_graphql.domain.models import Principal, Segment, SegmentType
from seg_graphql.domain.times import naive_utc
from seg_graphql.importer.commands import Operation, UserSegmentCommand, profile_fields
from seg_graphql.importer.parsers import NOT_AN_OBJECT, Record
from seg_graphql.services.auth import can_edit
from seg_graphql.services.membership import MAX_LISTED
from seg_graphql.services.users import UserService
from seg_graphql.store.client import Store
from seg_graphql.store.errors import DuplicateKey
from seg_graphql.store.events import EventStore
from seg_graphql.store.segments import SegmentStore
from seg_graphql.store.users import UserStore

UserKey = tuple[str, Any]


class Applier(Protocol):
    async def apply(self, records: Sequence[Record]) -> tuple[int, list[LineProblem]]: ...

    def reset(self) -> None:
        """Forgets what a failed apply may have left half-done in memory, before a retry."""


def _line_problem(line: int, exc: ValidationError) -> LineProblem:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return LineProblem(line, "MALFORMED_JSON", f"not valid JSON: {first['msg']}")
    if first["type"] == "model_type" and not first["loc"]:
        return LineProblem(line, "MALFORMED_JSON", NOT_AN_OBJECT)
    return LineProblem(line, "BAD_USER_INPUT", describe(exc))


def describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(x) for x in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else error["msg"])
    return "; ".join(parts)


def validate_segment_lines(
    records: Sequence[Record], at: datetime
) -> tuple[list[tuple[int, UserSegmentCommand]], list[LineProblem]]:
    """Each record as a command, or the problem with it: no I/O (the benchmark's
    parse+validate figure measures exactly this)."""
    problems: list[LineProblem] = []
    commands: list[tuple[int, UserSegmentCommand]] = []
    validator = UserSegmentCommand.__pydantic_validator__  # skips the model_validate wrapper
    from_json, from_python = validator.validate_json, validator.validate_python
    for record in records:
        fields = record.fields
        try:
            command = from_json(fields) if type(fields) is bytes else from_python(fields)
        except ValidationError as exc:
            problems.append(_line_problem(record.line, exc))
            continue
        if command.expiration_ts and command.operation is Operation.UPDATE:
            issue = check_expiration_ts(command.expiration_ts, at, "expiration_ts")
            if issue:
                problems.append(LineProblem(record.line, "BAD_USER_INPUT", issue))
                continue
        commands.append((record.line, command))
    return commands, problems


class SegmentLines:
    """USER_SEGMENT lines: put users on segments' lists (UPDATE) or take them off (DELETE)."""

    def __init__(
        self,
        store: Store,
        principal: Principal,
        *,
        at: datetime,
        import_id: ObjectId,
        resumed: bool,
    ) -> None:
        tenant = principal.tenant
        self.users = UserStore(store.db, tenant, max_batch=store.capabilities.max_update_batch)
        self.segments = SegmentStore(store.db, tenant)
        self.events = EventStore(store.db, tenant)
        self.principal = principal
        self.at = at
        self._import_id = import_id
        self._maybe_repeated = resumed  # the first batch of a resumed job may be a replay
        self._known: dict[tuple[str, Any], Segment | None] = {}
        self._listed: dict[int, int] = {}

    async def apply(self, records: Sequence[Record]) -> tuple[int, list[LineProblem]]:
        commands, problems = validate_segment_lines(records, self.at)
        await self._load_segments(ref for _, c in commands for ref in _segment_refs(c))
        targets: list[tuple[int, UserSegmentCommand, Segment]] = []
        for line, command in commands:
            segment = self._segment_of(line, command)
            if isinstance(segment, LineProblem):
                problems.append(segment)
            elif not can_edit(self.principal, segment):
                problems.append(
                    LineProblem(
                        line,
                        "FORBIDDEN",
                        f"this key may not change members of segment {segment.id}",
                    )
                )
            else:
                targets.append((line, command, segment))
        touched = {segment.id: segment for _, _, segment in targets}
        counted = await self._count_listed(touched)
        before = {segment_id: self._listed[segment_id] for segment_id in touched}
        writes = _BatchWrites(self, await self._find_users(c for _, c, _ in targets))
        for line, command, segment in targets:
            problem = writes.add(line, command, segment)
            if problem:
                problems.append(problem)
        await self._record(writes.events)
        await self.users.bulk_update(writes.updates)
        for segment_id, segment in sorted(touched.items()):
            if segment.type is not SegmentType.STATIC:
                continue
            # A list counted in this batch gets the count (so a replayed batch, or a
            # batch after a failed one, sets it right); later batches move it by their delta.
            size = self._listed[segment_id]
            if segment_id in counted:
                await self.segments.change_list_size(segment_id, self.at, to=size)
            else:
                await self.segments.change_list_size(
                    segment_id, self.at, by=size - before[segment_id]
                )
        return writes.applied, problems

    def reset(self) -> None:
        self._listed.clear()  # recounted from the store: the failed attempt may have written
        self._maybe_repeated = True

    def _segment_of(self, line: int, command: UserSegmentCommand) -> Segment | LineProblem:
        """The segment the line names; a line naming two (by id and by technical name) that
        are not the same segment is refused rather than guessed."""
        found: Segment | None = None
        for kind, value in _segment_refs(command):
            segment = self._known.get((kind, value))
            if segment is None:
                return LineProblem(line, "NOT_FOUND", f"segment {kind} '{value}' not found")
            if found is not None and found.id != segment.id:
                return LineProblem(
                    line,
                    "BAD_USER_INPUT",
                    f"segment_id {found.id} and segment_technical_name '{value}' name different "
                    f"segments (segment_technical_name '{value}' is segment {segment.id})",
                )
            found = segment
        assert found is not None  # the command names at least one (see its validator)
        return found

    async def _load_segments(self, refs: Iterable[tuple[str, Any]]) -> None:
        wanted = {ref for ref in refs if ref not in self._known}
        ids = [v for k, v in wanted if k == "id"]
        names = [v for k, v in wanted if k == "technical name"]
        by_id = await self.segments.get_many(ids)
        by_name = await self.segments.get_many_by_technical_name(names)
        for ref in wanted:
            kind, value = ref
            self._known[ref] = by_id.get(value) if kind == "id" else by_name.get(value)

    async def _count_listed(self, segment_ids: Iterable[int]) -> set[int]:
        """Counts the lists not counted yet by this applier (then follows them by the deltas
        of its lines): for the list limit, and as the static segments' live size."""
        fresh = set(segment_ids) - self._listed.keys()
        for segment_id in sorted(fresh):
            self._listed[segment_id] = await self.users.count(
                {"segs": segment_id, f"{entry_path(segment_id)}.listed": True}
            )
        return fresh

    async def _find_users(self, commands: Iterable[UserSegmentCommand]) -> dict[UserKey, dict]:
        keys = [key for command in commands for key in command.user_keys()]
        docs = await self.users.find_by_identifiers(keys)
        found: dict[UserKey, dict] = {}
        for doc in sorted(docs, key=lambda d: d["userId"], reverse=True):
            for key in _keys_of(doc):
                found[key] = doc  # the smallest userId wins when identifiers are shared
        return found

    async def _record(self, events: list[dict[str, Any]]) -> None:
        if self._maybe_repeated:
            await self.events.record_once(events)
            self._maybe_repeated = False
            return
        try:
            await self.events.record(events)
        except DuplicateKey:  # another worker replayed this batch too (a lost lease)
            await self.events.record_once(events)

    def event_id(self, line: int) -> ObjectId:
        """Sorts with the job's creation time; unique per job and line."""
        raw = self._import_id.binary
        return ObjectId(raw[:4] + raw[8:12] + line.to_bytes(4, "big"))

    def listed_room(self, segment_id: int, delta: int) -> bool:
        if delta > 0 and self._listed[segment_id] + delta > MAX_LISTED:
            return False
        self._listed[segment_id] = self._listed.get(segment_id, 0) + delta
        return True


class _BatchWrites:
    """The updates and events of one batch, applied in line order to the users as they
    will be after the earlier lines of the batch."""

    def __init__(self, lines: SegmentLines, found: dict[UserKey, dict]) -> None:
        self.lines = lines
        self.found = found
        self.updates: list[tuple[dict, dict, bool]] = []
        self.events: list[dict[str, Any]] = []
        self.applied = 0

    def add(self, line: int, command: UserSegmentCommand, segment: Segment) -> LineProblem | None:
        user = next((self.found[k] for k in command.user_keys() if k in self.found), None)
        old = entry_of(user, segment.id) if user else None
        was_listed = bool(old and old.listed)
        at = self.lines.at
        if command.operation is Operation.DELETE:
            self.applied += 1
            if user is None or not was_listed:
                return None  # nobody to take off the list: the line's intent already holds
            self.lines.listed_room(segment.id, -1)
            fields: dict[str, Any] = {"listed": False, "updatedAt": naive_utc(at)}
            update: dict[str, Any] = {"$set": _under(segment.id, fields)}
            upsert = False
        else:
            if not was_listed and not self.lines.listed_room(segment.id, +1):
                return LineProblem(
                    line, "LIMIT_EXCEEDED", f"segment {segment.id} lists {MAX_LISTED} users (limit)"
                )
            self.applied += 1
            expires = expiry_of(command.expiration_ts, command.expiration_duration, at)
            fields = {
                "listed": True,
                "updatedAt": naive_utc(at),
                "expiresAt": naive_utc(expires) if expires else None,
                "weight": command.weight,
                "dataBag": command.data_bag,
            }
            update = {"$set": _under(segment.id, fields), "$addToSet": {"segs": segment.id}}
            if expires:
                update["$min"] = {"nextExpiry": fields["expiresAt"]}
            upsert = user is None
            if user is None:
                user = {"userId": command.new_user_id(), **command.identity_fields()}
                update["$setOnInsert"] = {**user, "createdAt": naive_utc(at)}
        after = with_entry(user, segment.id, fields)
        for key in _keys_of(after):
            self.found[key] = after
        self.updates.append(({"userId": user["userId"]}, update, upsert))
        new = entry_of(after, segment.id)
        if _changed(old, new):
            event = event_document(
                self.lines.principal,
                segment.id,
                user["userId"],
                at,
                EventAction.UNLISTED
                if command.operation is Operation.DELETE
                else EventAction.LISTED,
                old,
                new,
                EventSource.IMPORT,
                description=f"import {self.lines._import_id} line {line}",
            )
            self.events.append({"_id": self.lines.event_id(line), **event})
        return None


def _under(segment_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    path = entry_path(segment_id)
    return {f"{path}.{key}": value for key, value in fields.items()}


def _changed(old: Entry | None, new: Entry | None) -> bool:
    def essence(entry: Entry | None) -> tuple:
        if entry is None:
            return (None, False, None, 1.0, None)
        return (entry.override, entry.listed, entry.expires_at, entry.weight, entry.data_bag)

    return essence(old) != essence(new)


def _segment_refs(command: UserSegmentCommand) -> list[tuple[str, Any]]:
    """Each way the line names its segment: by id, by technical name, or both."""
    refs: list[tuple[str, Any]] = []
    if command.segment_id is not None:
        refs.append(("id", int(command.segment_id)))
    if command.segment_technical_name is not None:
        refs.append(("technical name", command.segment_technical_name))
    return refs


def _keys_of(doc: dict[str, Any]) -> list[UserKey]:
    keys: list[UserKey] = []
    if doc.get("userAccountId") is not None and doc.get("compartmentId") is not None:
        keys.append(("account", (doc["compartmentId"], doc["userAccountId"])))
    if doc.get("emailHash") is not None:
        keys.append(("emailHash", doc["emailHash"]))
    if doc.get("userAgentId") is not None:
        keys.append(("userAgentId", doc["userAgentId"]))
    return keys


class ProfileLines:
    """USER_PROFILE lines: upsert users with upsertUsers' fields and checks."""

    def __init__(self, store: Store, principal: Principal, *, at: datetime, from_csv: bool) -> None:
        self.service = UserService(
            store.db, principal, lambda: at, max_batch=store.capabilities.max_update_batch
        )
        self._from_csv = from_csv

    def reset(self) -> None:
        pass  # upserts keep no state between batches

    async def apply(self, records: Sequence[Record]) -> tuple[int, list[LineProblem]]:
        problems: list[LineProblem] = []
        items: list[tuple[int, dict[str, Any]]] = []
        for record in records:
            try:
                items.append((record.line, profile_fields(record.fields, from_csv=self._from_csv)))
            except ValueError as exc:
                problems.append(LineProblem(record.line, "BAD_USER_INPUT", str(exc)))
        applied = 0
        for group in _distinct_users(items):
            _, group_problems = await self.service.save([fields for _, fields in group])
            failed = set()
            for problem in group_problems:
                index = problem.path[1] if len(problem.path) > 1 else 0
                failed.add(index)
                where = ".".join(str(p) for p in problem.path[2:])
                message = f"{where}: {problem.message}" if where else problem.message
                problems.append(LineProblem(group[index][0], problem.code.value, message))
            applied += len(group) - len(failed)
        return applied, problems


def _distinct_users(
    items: Sequence[tuple[int, dict[str, Any]]],
) -> list[list[tuple[int, dict[str, Any]]]]:
    """Consecutive groups in which each userId appears once (a later line for the same user
    goes to a later group, so it wins), each at most one upsert batch long."""
    groups: list[list[tuple[int, dict[str, Any]]]] = [[]]
    seen: set[Any] = set()
    for item in items:
        user_id = item[1].get("userId")
        if len(groups[-1]) >= MAX_BATCH or (user_id is not None and user_id in seen):
            groups.append([])
            seen = set()
        groups[-1].append(item)
        if isinstance(user_id, str):
            seen.add(user_id)
    return [g for g in groups if g]
