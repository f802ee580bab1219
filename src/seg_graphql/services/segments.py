"""Segment use cases: create, read, list, update, delete, links. Tenancy and roles enforced here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from seg_graphql.domain.errors import ErrorCode, UserInputError, bad_input, not_found
from seg_graphql.domain.fql import parse_fql
from seg_graphql.domain.history import EventSource
from seg_graphql.domain.inputs import LinkCreate, SegmentCreate, SegmentUpdate, parse_model
from seg_graphql.domain.models import (
    Link,
    LinkType,
    Role,
    Rules,
    Segment,
    SegmentSelection,
    SegmentType,
)
from seg_graphql.domain.rules import validate_rules
from seg_graphql.services.auth import require_edit, require_role
from seg_graphql.services.membership_writes import MembershipWriter
from seg_graphql.services.scope import Scope
from seg_graphql.store.counters import Counters
from seg_graphql.store.errors import DuplicateKey
from seg_graphql.store.segments import segment_changes
from seg_graphql.store.users import UserStore

MAX_SEGMENTS = 1_000  # loyalty seed: "Segments per organization 1,000"
MAX_LINKS = 100
_SLOT = "segments"


@dataclass(frozen=True)
class Page:
    items: list[Segment]
    has_next: bool


class SegmentService:
    def __init__(self, scope: Scope) -> None:
        self.principal = scope.principal
        self._scope = scope
        self._segments = scope.segments
        self._now = scope.now

    # The stores only writes use, made when a write first needs them: most requests read.
    @cached_property
    def _counters(self) -> Counters:
        return self._scope.counters

    @cached_property
    def _users(self) -> UserStore:
        return self._scope.users

    @cached_property
    def _writer(self) -> MembershipWriter:
        return MembershipWriter(self._scope, EventSource.API)

    # ------------------------------------------------------------ reads

    async def get(self, segment_id: int) -> Segment | None:
        return await self._segments.get(segment_id)

    async def get_many(self, segment_ids: list[int]) -> dict[int, Segment]:
        return await self._segments.get_many(segment_ids)

    async def require(self, segment_id: int, path: tuple[str, ...] = ("id",)) -> Segment:
        segment = await self._segments.get(segment_id)
        if segment is None:
            raise not_found("segment", segment_id, path)
        return segment

    async def list_page(self, where: SegmentSelection, *, after_id: int | None, first: int) -> Page:
        items = await self._segments.list_page(where, after_id=after_id, limit=first + 1)
        return Page(items=items[:first], has_next=len(items) > first)

    async def count(self, where: SegmentSelection) -> int:
        return await self._segments.count(where)

    async def all_by_id(self) -> dict[int, Segment]:
        return {s.id: s for s in await self._segments.all()}

    # ------------------------------------------------------------ writes

    async def create(self, data: Mapping[str, Any]) -> Segment:
        require_role(self.principal, Role.ADMIN, Role.EDITOR)
        spec = parse_model(SegmentCreate, data, ("input",))
        rules = await self._rules_for(spec, spec.type, segment_id=None)
        _check_selection(spec, spec.type, rules)
        if not await self._counters.take_slot(_SLOT, MAX_SEGMENTS):
            raise UserInputError.single(
                ErrorCode.LIMIT_EXCEEDED,
                f"a tenant holds at most {MAX_SEGMENTS} segments (limit); delete one first",
            )
        try:
            segment_id = await self._counters.next_value("segment_id")
            now = self._now()
            segment = Segment(
                tenant=self.principal.tenant,
                id=segment_id,
                technical_name=spec.technical_name or f"segment-{segment_id}",
                name=spec.name,
                description=spec.description,
                type=spec.type,
                rules=rules,
                url=spec.url,
                team_id=spec.team_id,
                is_default=spec.is_default,
                editable_by=spec.editable_by,
                created_at=now,
                updated_at=now,
            )
            await self._insert(segment)
        except BaseException:
            await self._counters.release_slot(_SLOT)
            raise
        return segment

    async def update(self, segment_id: int, data: Mapping[str, Any]) -> Segment:
        segment = await self.require(segment_id)
        require_edit(self.principal, segment)
        spec = parse_model(SegmentUpdate, data, ("input",))
        changes: dict[str, Any] = {
            name: getattr(spec, name)
            for name in ("name", "technical_name", "is_default", "editable_by")
            if name in spec.model_fields_set and getattr(spec, name) is not None
        }
        for name in ("description", "url", "team_id"):
            if name in spec.model_fields_set:
                changes[name] = getattr(spec, name)
        if spec.rules is not None or spec.fql is not None:
            changes["rules"] = await self._rules_for(spec, segment.type, segment_id=segment_id)
        elif spec.match_all:
            changes["rules"] = Rules()  # "every user": the criteria go
        if "rules" in changes or spec.match_all is not None:
            _check_selection(spec, segment.type, changes.get("rules", segment.rules))
        if "rules" in changes and segment.type is SegmentType.DYNAMIC:
            changes["estimated_size_updated_at"] = None  # stale: the refresh recounts it soon
        changes["updated_at"] = self._now()
        try:
            updated = await self._segments.update(segment_id, segment_changes(**changes))
        except DuplicateKey:
            raise self._duplicate_name(changes.get("technical_name")) from None
        if updated is None:
            raise not_found("segment", segment_id, ("id",))
        return updated

    async def delete(self, segment_id: int) -> Segment:
        segment = await self.require(segment_id)
        require_edit(self.principal, segment)
        users = await self._segments.referencing(segment_id)
        if users:
            raise UserInputError.single(
                ErrorCode.BAD_USER_INPUT,
                f"segment {segment_id} is used in the rules of segments {users}; "
                "remove those criteria first",
                ("id",),
            )
        if await self._segments.delete(segment_id):
            await self._counters.release_slot(_SLOT)
            await self._writer.drop_segment(segment_id)
        return segment

    async def attach_link(self, segment_id: int, data: Mapping[str, Any]) -> Segment:
        segment = await self.require(segment_id, ("segmentId",))
        require_edit(self.principal, segment)
        spec = parse_model(LinkCreate, data, ("link",))
        # Feedier: "If type is user, the ID must [be] a valid User entity". There is no team
        # directory, so a TEAM id is only checked for its shape.
        if spec.type is LinkType.USER and not await self._users.exists(spec.id):
            raise not_found("user", spec.id, ("link", "id"))
        if any(link.type is spec.type and link.target_id == spec.id for link in segment.links):
            return segment  # attaching the same team or user twice is a no-op
        now = self._now()
        link = Link(
            id=await self._counters.next_value("link_id"),
            type=spec.type,
            target_id=spec.id,
            created_at=now,
        )
        updated = await self._segments.push_link(segment_id, link, max_links=MAX_LINKS, now=now)
        if updated is None:
            if await self._segments.get(segment_id) is None:
                raise not_found("segment", segment_id, ("segmentId",))
            raise UserInputError.single(
                ErrorCode.LIMIT_EXCEEDED,
                f"a segment holds at most {MAX_LINKS} links (limit)",
                ("link",),
            )
        return updated

    async def detach_link(self, segment_id: int, link_id: int) -> Segment:
        segment = await self.require(segment_id, ("segmentId",))
        require_edit(self.principal, segment)
        link = next((link for link in segment.links if link.id == link_id), None)
        updated = link and await self._segments.pull_link(segment_id, link, now=self._now())
        if updated is None:
            raise not_found(f"link {link_id} of segment", segment_id, ("linkId",))
        return updated

    # ------------------------------------------------------------ helpers

    async def _insert(self, segment: Segment) -> None:
        try:
            await self._segments.insert(segment)
        except DuplicateKey:
            raise self._duplicate_name(segment.technical_name) from None

    def _duplicate_name(self, technical_name: str | None) -> UserInputError:
        return UserInputError.single(
            ErrorCode.DUPLICATE,
            f"technicalName '{technical_name}' is already used by another segment",
            ("input", "technicalName"),
        )

    async def _rules_for(
        self,
        spec: SegmentCreate | SegmentUpdate,
        segment_type: SegmentType,
        *,
        segment_id: int | None,
    ) -> Rules:
        if spec.rules is not None and spec.fql is not None:
            raise bad_input("give rules or fql, not both", ("input", "fql"))
        if spec.fql is not None:
            rules = parse_fql(spec.fql, ("input", "fql"))
        elif spec.rules is not None:
            rules = validate_rules(spec.rules, ("input", "rules"))
        else:
            return Rules()
        if segment_type is SegmentType.STATIC and not rules.is_empty:
            raise bad_input(
                "a STATIC segment holds a list of users, not rules",
                ("input", "fql" if spec.fql is not None else "rules"),
            )
        await self._check_references(rules, segment_id)
        return rules

    async def _check_references(self, rules: Rules, segment_id: int | None) -> None:
        referenced = rules.referenced_segments()
        if not referenced:
            return
        found = await self._segments.get_many(referenced)
        missing = sorted(referenced - found.keys())
        if missing:
            raise UserInputError.single(
                ErrorCode.NOT_FOUND,
                f"segment criteria name unknown segments {missing}",
                ("input", "rules"),
            )
        if segment_id is None:
            return  # a new segment cannot be referenced by anyone yet
        graph = await self._segments.rules_graph()
        graph[segment_id] = referenced
        cycle = _find_cycle(graph, segment_id)
        if cycle:
            path = " -> ".join(str(i) for i in cycle)
            raise UserInputError.single(
                ErrorCode.CYCLE, f"segment criteria would form a cycle: {path}", ("input", "rules")
            )


def _check_selection(
    spec: SegmentCreate | SegmentUpdate, segment_type: SegmentType, rules: Rules
) -> None:
    """A DYNAMIC segment without criteria selects every user of the tenant: that is allowed
    only when the client says so (matchAll: true), never as the silent result of leaving the
    criteria out or clearing them."""
    field = "fql" if spec.fql is not None else "rules"
    if segment_type is SegmentType.STATIC:
        if spec.match_all:
            raise bad_input(
                "matchAll is for DYNAMIC segments; a STATIC segment holds a list of users",
                ("input", "matchAll"),
            )
        return
    if spec.match_all and not rules.is_empty:
        raise bad_input(
            "matchAll: true selects every user; give it without rules or fql", ("input", field)
        )
    if rules.is_empty and not spec.match_all:
        raise bad_input(
            f"a DYNAMIC segment needs criteria: give {field} (at least one include or exclude "
            "criterion), or matchAll: true to select every user of the tenant",
            ("input", field),
        )


def _find_cycle(graph: dict[int, set[int]], start: int) -> list[int] | None:
    """A path start -> ... -> start through `segment` criteria, if there is one."""
    stack: list[tuple[int, list[int]]] = [(start, [start])]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None
