"""Applies one batch of parsed import lines: validate each line, resolve segments and users
in one query each, then hand the batch to the service that owns the write (profiles: the
user service; list lines: the membership writer).

Re-applying a batch gives the same result (a resumed job may repeat the batch it was
applying when its worker died): every write sets values (no increments), times come from
the job (not the clock), users created by a line get an id derived from the line's
identifier, and history events get an id derived from the job and the line, so the
membership writer records them once (see MembershipWriter, replayable).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from bson import ObjectId
from pydantic import ValidationError

from seg_graphql.domain.changes import check_expiration_ts, expiry_of
from seg_graphql.domain.history import EventSource
from seg_graphql.domain.import_lines import Operation, UserSegmentCommand, profile_fields
from seg_graphql.domain.imports import LineProblem
from seg_graphql.domain.inputs import MAX_BATCH
from seg_graphql.domain.membership_changes import Change, ListAdd, ListRemove
from seg_graphql.domain.models import Segment
from seg_graphql.domain.user import User
from seg_graphql.importer.parsers import NOT_AN_OBJECT, Record
from seg_graphql.services.membership_writes import MembershipWriter
from seg_graphql.services.scope import Scope
from seg_graphql.services.users import UserService

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
    """USER_SEGMENT lines: put users on segments' lists (UPDATE) or take them off (DELETE),
    through the membership writer (which owns the list limit, edit rights and events)."""

    def __init__(self, scope: Scope, *, at: datetime, import_id: ObjectId, resumed: bool) -> None:
        self._scope = scope
        self.at = at
        self._import_id = import_id
        self.writer = MembershipWriter(scope, EventSource.IMPORT, replayable=True)
        if resumed:
            self.writer.may_be_repeated()  # the first batch of a resumed job may be a replay
        self._known: dict[tuple[str, Any], Segment | None] = {}

    async def apply(self, records: Sequence[Record]) -> tuple[int, list[LineProblem]]:
        commands, problems = validate_segment_lines(records, self.at)
        await self._load_segments(ref for _, c in commands for ref in _segment_refs(c))
        found = await self._find_users(c for _, c in commands)
        created: set[str] = set()
        applied = 0
        changes: list[Change] = []
        lines: list[int] = []
        for line, command in commands:
            segment = self._segment_of(line, command)
            if isinstance(segment, LineProblem):
                problems.append(segment)
                continue
            user = next((found[k] for k in command.user_keys() if k in found), None)
            note = f"import {self._import_id} line {line}"
            if command.operation is Operation.DELETE:
                change: Change = ListRemove(segment, user, note, self.event_id(line))
            else:
                if user is None:
                    user = User.created(command.new_user_id(), self.at, **command.identity())
                    created.add(user.user_id)
                    for key in _keys_of(user):
                        found[key] = user  # a later line naming this user finds it
                change = ListAdd(
                    segment,
                    user,
                    expires_at=expiry_of(
                        command.expiration_ts, command.expiration_duration, self.at
                    ),
                    weight=command.weight,
                    data_bag=command.data_bag,
                    creates=user.user_id in created,
                    note=note,
                    event_id=self.event_id(line),
                )
            changes.append(change)
            lines.append(line)
        outcomes = await self.writer.apply(changes, at=self.at)
        for line, outcome in zip(lines, outcomes, strict=True):
            if outcome.refusal:
                problems.append(
                    LineProblem(line, outcome.refusal.code.value, outcome.refusal.message)
                )
            else:
                applied += 1
        return applied, problems

    def reset(self) -> None:
        self.writer.forget()

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
        by_id = await self._scope.segments.get_many(ids)
        by_name = await self._scope.segments.get_many_by_technical_name(names)
        for ref in wanted:
            kind, value = ref
            self._known[ref] = by_id.get(value) if kind == "id" else by_name.get(value)

    async def _find_users(self, commands: Iterable[UserSegmentCommand]) -> dict[UserKey, User]:
        keys = [key for command in commands for key in command.user_keys()]
        users = await self._scope.users.find_by_identifiers(keys)
        found: dict[UserKey, User] = {}
        for user in sorted(users, key=lambda u: u.user_id, reverse=True):
            for key in _keys_of(user):
                found[key] = user  # the smallest userId wins when identifiers are shared
        return found

    def event_id(self, line: int) -> ObjectId:
        """Sorts with the job's creation time; unique per job and line."""
        raw = self._import_id.binary
        return ObjectId(raw[:4] + raw[8:12] + line.to_bytes(4, "big"))


def _segment_refs(command: UserSegmentCommand) -> list[tuple[str, Any]]:
    """Each way the line names its segment: by id, by technical name, or both."""
    refs: list[tuple[str, Any]] = []
    if command.segment_id is not None:
        refs.append(("id", int(command.segment_id)))
    if command.segment_technical_name is not None:
        refs.append(("technical name", command.segment_technical_name))
    return refs


def _keys_of(user: User) -> list[UserKey]:
    """The import identifiers a user holds, as UserSegmentCommand.user_keys names them."""
    keys: list[UserKey] = []
    if user.user_account_id is not None and user.compartment_id is not None:
        keys.append(("account", (user.compartment_id, user.user_account_id)))
    if user.email_hash is not None:
        keys.append(("emailHash", user.email_hash))
    if user.user_agent_id is not None:
        keys.append(("userAgentId", user.user_agent_id))
    return keys


class ProfileLines:
    """USER_PROFILE lines: upsert users with upsertUsers' fields and checks."""

    def __init__(self, scope: Scope, *, from_csv: bool) -> None:
        self.service = UserService(scope)
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
