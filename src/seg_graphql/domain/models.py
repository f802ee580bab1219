"""Domain models: segments, their rules and links, and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class SegmentType(StrEnum):
    STATIC = "STATIC"
    DYNAMIC = "DYNAMIC"


class EditableBy(StrEnum):
    ADMIN = "ADMIN"
    ASSIGNED = "ASSIGNED"


class LinkType(StrEnum):
    TEAM = "TEAM"
    USER = "USER"


class Role(StrEnum):
    ADMIN = "ADMIN"
    EDITOR = "EDITOR"
    VIEWER = "VIEWER"


class Operator(StrEnum):
    EQUALS = "EQUALS"
    NOT_EQUALS = "NOT_EQUALS"
    IN = "IN"
    NOT_IN = "NOT_IN"
    CONTAINS = "CONTAINS"
    NOT_CONTAINS = "NOT_CONTAINS"
    GT = "GT"
    GTE = "GTE"
    LT = "LT"
    LTE = "LTE"
    EXISTS = "EXISTS"
    NOT_EXISTS = "NOT_EXISTS"


@dataclass(frozen=True)
class Criterion:
    field: str
    operator: Operator
    value: Any = None

    def to_doc(self) -> dict[str, Any]:
        return {"field": self.field, "operator": self.operator.value, "value": self.value}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Criterion:
        return cls(doc["field"], Operator(doc["operator"]), doc.get("value"))


@dataclass(frozen=True)
class Rules:
    include: tuple[Criterion, ...] = ()
    exclude: tuple[Criterion, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.include and not self.exclude

    def criteria(self) -> tuple[Criterion, ...]:
        return (*self.include, *self.exclude)

    def referenced_segments(self) -> set[int]:
        ids: set[int] = set()
        for criterion in self.criteria():
            if criterion.field == "segment":
                values = criterion.value if isinstance(criterion.value, list) else [criterion.value]
                ids.update(int(v) for v in values)
        return ids

    def to_doc(self) -> dict[str, Any]:
        return {
            "include": [c.to_doc() for c in self.include],
            "exclude": [c.to_doc() for c in self.exclude],
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> Rules:
        doc = doc or {}
        return cls(
            include=tuple(Criterion.from_doc(c) for c in doc.get("include", [])),
            exclude=tuple(Criterion.from_doc(c) for c in doc.get("exclude", [])),
        )


@dataclass(frozen=True)
class Link:
    id: int
    type: LinkType
    target_id: str
    created_at: datetime


@dataclass
class Segment:
    tenant: str
    id: int
    technical_name: str
    name: str
    type: SegmentType
    rules: Rules
    editable_by: EditableBy
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    url: str | None = None
    team_id: str | None = None
    is_default: bool = False
    links: list[Link] = field(default_factory=list)
    estimated_size: int = 0
    estimated_size_updated_at: datetime | None = None


@dataclass(frozen=True)
class Principal:
    """The caller, as its API key describes it."""

    tenant: str
    role: Role
    user_id: str | None = None
    team_ids: frozenset[str] = frozenset()
    key_id: str | None = None


@dataclass(frozen=True)
class SegmentSelection:
    """Which segments a list shows: names containing a text, of a type, linked to a team."""

    name_contains: str | None = None
    type: SegmentType | None = None
    team_id: str | None = None


@dataclass(frozen=True)
class CriterionDraft:
    """A criterion as a client gives it (the API's typed input, FQL), before validate_rules
    checks its field and value: the operator is already one of Operator."""

    field: str
    operator: Operator
    value: Any = None


@dataclass(frozen=True)
class RulesDraft:
    include: tuple[CriterionDraft, ...] = ()
    exclude: tuple[CriterionDraft, ...] = ()
