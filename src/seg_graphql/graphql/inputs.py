"""GraphQL input types, and their conversion to plain data for the services to validate."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.types.base import has_object_definition
from strawberry.utils.str_converters import to_camel_case

from seg_graphql.graphql.scalars import JSON, EditableBy, LinkType, Operator, SegmentType


@strawberry.input(
    description="One condition: {field, operator, value}. Fields: tier, points, "
    "xp, coins, badges, email, createdAt, updatedAt, "
    "customFields.<name>, segment."
)
class CriterionInput:
    field: str
    operator: Operator
    value: JSON | None = None


@strawberry.input
class RulesInput:
    include: list[CriterionInput] = strawberry.field(default_factory=list)
    exclude: list[CriterionInput] = strawberry.field(default_factory=list)


_MATCH_ALL = (
    "A DYNAMIC segment selects users by its rules or fql; one without any criteria would "
    "select every user of the tenant, so it is only created when asked for explicitly: "
    "matchAll: true, with no rules and no fql. Without criteria and without matchAll: "
    "BAD_USER_INPUT on input.rules (or input.fql). Not for STATIC segments (they hold a list)."
)


@strawberry.input(
    description="A DYNAMIC segment (the default) needs rules or fql, or matchAll: true to "
    "select every user; a STATIC segment holds a list of users (addSegmentUsers, imports)."
)
class CreateSegmentInput:
    name: str
    technical_name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    type: SegmentType = SegmentType.DYNAMIC
    rules: RulesInput | None = strawberry.field(
        default=strawberry.UNSET, description="Give rules or fql, not both."
    )
    fql: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description='FQL as JSON or JSON text: [{"points": {"$gte": 100}}]. Operators: $eq $ne '
        "$in $nin $gt $gte $lt $lte $exists $contains $ncontains; groups $and, "
        "$nor / $not (exclusions).",
    )
    match_all: bool | None = strawberry.field(default=strawberry.UNSET, description=_MATCH_ALL)
    url: str | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET
    is_default: bool = False
    editable_by: EditableBy = EditableBy.ADMIN


@strawberry.input(
    description="Only the fields given change; null clears description, url and teamId."
)
class UpdateSegmentInput:
    name: str | None = strawberry.UNSET
    technical_name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    rules: RulesInput | None = strawberry.UNSET
    fql: JSON | None = strawberry.UNSET
    match_all: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="true: the segment selects every user (its rules are cleared); false "
        "requires rules or fql. Rules or fql that end up empty need matchAll: true.",
    )
    url: str | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET
    is_default: bool | None = strawberry.UNSET
    editable_by: EditableBy | None = strawberry.UNSET


@strawberry.input(description="A team or a user linked to a segment (Feedier links).")
class SegmentLinkInput:
    type: LinkType
    id: strawberry.ID = strawberry.field(
        description="USER: the userId of a user of this tenant (NOT_FOUND otherwise). TEAM: "
        "a team id, checked for its shape only (there is no team directory): letters, digits "
        "and _ . : @ -, at most 64."
    )


@strawberry.input
class SegmentFilter:
    name: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the name."
    )
    type: SegmentType | None = None
    team_id: strawberry.ID | None = None


def to_data(value: Any) -> Any:
    """Strawberry input -> plain JSON-like data keyed by GraphQL names, without unset fields."""
    if has_object_definition(value):
        out: dict[str, Any] = {}
        for field in value.__strawberry_definition__.fields:
            item = getattr(value, field.python_name)
            if item is strawberry.UNSET:
                continue
            out[field.graphql_name or to_camel_case(field.python_name)] = to_data(item)
        return out
    if isinstance(value, list):
        return [to_data(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value
